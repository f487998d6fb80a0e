package room

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/pion/logging"

	"mcu/internal/lograte"
)

// pionLogs gives pion's loggers (ICE, DTLS, SRTP, SCTP, the peer
// connection) to the server's slog logger, tagged with the pion package
// ("pion") and whatever the logger carries (the room and session of a
// peer). pion's errors are about one peer, so they come out as warnings;
// its warnings, mostly something a peer sent that was set aside (a
// browser's mDNS candidate at every join), as info; its info, debug and
// trace messages, which include one per undecryptable packet, as debug. A
// peer can make pion warn for every packet it sends (a STUN request with a
// wrong user name), so each factory, one a peer, lets through a burst of
// messages at info or above and then one per interval, and says how many
// it left out.
type pionLogs struct {
	log   *slog.Logger
	limit lograte.Limiter
	now   func() time.Time
}

const (
	// pionLogBurst messages pass at once; then one per pionLogInterval.
	pionLogBurst    = 10
	pionLogInterval = 10 * time.Second
)

func newPionLogs(log *slog.Logger) *pionLogs {
	return &pionLogs{log: log, limit: lograte.Limiter{Burst: pionLogBurst, Interval: pionLogInterval}, now: time.Now}
}

// NewLogger is logging.LoggerFactory's.
func (p *pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return &pionLogger{logs: p, log: p.log.With("pion", scope)}
}

// allow takes a token for a warning, and tells how many were left out
// since the last one let through.
func (p *pionLogs) allow() (ok bool, dropped int) { return p.limit.Allow(p.now()) }

type pionLogger struct {
	logs *pionLogs
	log  *slog.Logger
}

// traceLevel is below slog's debug: pion's trace is one line per packet
// in places, shown only to a handler set that low.
const traceLevel = slog.LevelDebug - 4

// routine tells a pion warning that every session makes and that says
// nothing wrong: the ICE agent pinging before the offer's candidates are
// added (at each join), streams accepted after the peer connection closed
// and, with -udp-port, the shared port's reads of a closed session (at
// each leave; a relay candidate's too), the shared port's listening on
// every address (once, at start: pion gathers each interface's address
// for it) and its socket closed under it (once, at shutdown). They go to debug,
// not among a peer's warnings. Only these are formatted to be told: a
// warning left out is not.
func routine(msg string, args []any) bool {
	switch {
	case msg == "Failed to ping without candidate pairs. Connection is not possible yet.",
		strings.HasPrefix(msg, "UDPMuxDefault should not listening on unspecified address"):
		return true
	case msg == "Failed to accept RTP %v", msg == "Failed to accept RTCP %v":
		return strings.HasSuffix(fmt.Sprint(args...), "closed")
	case msg == "Failed to read from candidate %s: %v" && len(args) == 2:
		err, _ := args[1].(error)
		return errors.Is(err, io.ErrClosedPipe) || closedConn(err)
	case msg == "Failed to read UDP packet: %v" && len(args) == 1:
		// The shared port, closed at shutdown under pion's mux.
		err, _ := args[0].(error)
		return closedConn(err)
	}
	return false
}

// closedConn reports whether err is a read from a closed socket: Go's
// net.ErrClosed, or pion's TURN client's own error of the same words (a
// relay candidate's, at each leave).
func closedConn(err error) bool {
	return err != nil && (errors.Is(err, net.ErrClosed) || strings.HasSuffix(err.Error(), "use of closed network connection"))
}

// emit logs msg, or format with args when format is set.
func (l *pionLogger) emit(level slog.Level, format bool, msg string, args []any) {
	ctx := context.Background()
	if level >= slog.LevelInfo && routine(msg, args) {
		level = slog.LevelDebug
	}
	if !l.log.Enabled(ctx, level) {
		return // nothing formatted for a message nobody sees
	}
	ok, dropped := true, 0
	if level >= slog.LevelInfo {
		ok, dropped = l.logs.allow()
	}
	if !ok {
		return // nor for one left out
	}
	if format {
		msg = fmt.Sprintf(msg, args...)
	}
	if dropped > 0 {
		l.log.Log(ctx, level, msg, "left_out", dropped)
		return
	}
	l.log.Log(ctx, level, msg)
}

// flush says how many messages were left out since the last one let
// through, if any: the peer is gone, and no later message will. A nil
// pionLogs has nothing to say.
func (p *pionLogs) flush() {
	if p == nil {
		return
	}
	if dropped := p.limit.Dropped(); dropped > 0 {
		p.log.Info("pion messages left out", "left_out", dropped)
	}
}

func (l *pionLogger) Trace(msg string)                  { l.emit(traceLevel, false, msg, nil) }
func (l *pionLogger) Tracef(format string, args ...any) { l.emit(traceLevel, true, format, args) }
func (l *pionLogger) Debug(msg string)                  { l.emit(slog.LevelDebug, false, msg, nil) }
func (l *pionLogger) Debugf(format string, args ...any) { l.emit(slog.LevelDebug, true, format, args) }
func (l *pionLogger) Info(msg string)                   { l.emit(slog.LevelDebug, false, msg, nil) }
func (l *pionLogger) Infof(format string, args ...any)  { l.emit(slog.LevelDebug, true, format, args) }
func (l *pionLogger) Warn(msg string)                   { l.emit(slog.LevelInfo, false, msg, nil) }
func (l *pionLogger) Warnf(format string, args ...any)  { l.emit(slog.LevelInfo, true, format, args) }
func (l *pionLogger) Error(msg string)                  { l.emit(slog.LevelWarn, false, msg, nil) }
func (l *pionLogger) Errorf(format string, args ...any) { l.emit(slog.LevelWarn, true, format, args) }
