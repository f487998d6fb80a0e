package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"math"
	"net"
	"net/http"
	_ "net/http/pprof" // served only with -debug-addr
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"mcu/internal/diskspace"
	"mcu/internal/lograte"
	"mcu/internal/replyaddr"
	"mcu/internal/roomtoken"
	"mcu/internal/sched"
	"mcu/internal/webhook"
	"mcu/mixer"
	"mcu/recorder"
	"mcu/room"
	"mcu/server"
)

const serveUsage = `usage: mcu [serve] [flags]

Runs the MCU: people join rooms over HTTP (WebRTC), see one mixed picture and
hear everyone but themselves. Every flag but -v can also be set by the
environment variable named in brackets; a flag given on the command line wins.

flags:
`

// listFlag is a repeatable flag; its environment variable holds a
// comma-separated list. What setEnv
// gives it is replaced, not added to, by the command line's first value, so
// that a flag given there wins as for every other flag. Give it the
// environment's value after registering it: the usage then shows no default,
// which could hold a TURN password.
type listFlag struct {
	vals    []string
	fromEnv bool // vals came from setEnv
}

func (l *listFlag) String() string { return strings.Join(l.vals, ",") }

// Set takes one value as it is (a TURN password may hold a comma).
func (l *listFlag) Set(v string) error {
	if l.fromEnv {
		l.vals, l.fromEnv = nil, false
	}
	if v = strings.TrimSpace(v); v != "" {
		l.vals = append(l.vals, v)
	}
	return nil
}

// setEnv takes an environment variable's comma-separated values.
func (l *listFlag) setEnv(v string) {
	l.vals = nil
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			l.vals = append(l.vals, s)
		}
	}
	l.fromEnv = true
}

func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, done, err := parseServe(args, stderr)
	if done {
		return err
	}
	return serve(ctx, o, stdout, stderr)
}

// serveOptions is what serve's flags and environment ask for, checked.
type serveOptions struct {
	cfg             room.Config
	listen          string
	size            string // -size as given, for the log
	minBitrate      string // -min-bitrate as given ("auto"), for the log
	webhookURL      string
	webhookSecret   string
	authToken       string
	tlsCert, tlsKey string
	debugAddr       string
	udpPort         int
	connsPerClient  int
	shutdownTimeout time.Duration
	verbose         bool
}

// parseServe reads serve's flags and their environment variables; done is
// true when the command is over (-h, or a usage error in err).
func parseServe(args []string, stderr io.Writer) (o serveOptions, done bool, err error) {
	cfg := room.DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, serveUsage); fs.PrintDefaults() }
	// A variable set but empty (a compose file's ${VAR} when VAR is
	// unset) is as if unset.
	env := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	// str registers a flag whose default is its environment variable's
	// value, when set, else def; its usage names the variable.
	str := func(name, variable, def, usage string) *string {
		return fs.String(name, env(variable, def), usage+" ["+variable+"]")
	}
	listen := str("listen", "MCU_LISTEN", "127.0.0.1:8080", "HTTP `address`")
	fs.StringVar(&cfg.RecordDir, "record-dir", env("MCU_RECORD_DIR", "./recordings"), "recordings `folder` [MCU_RECORD_DIR]")
	recordMinFree := str("record-min-free", "MCU_RECORD_MIN_FREE", "256M", "free `space` recordings leave on -record-dir's disk (K, M, G, T: 1024s): none starts with less (507), and one whose disk gets down to it takes no more of the mix and is finalized by its stop; 0: recordings may fill the disk")
	webhookURL := str("webhook", "MCU_WEBHOOK", "", "POST each room event (room_started, room_finished, participant_joined, participant_left, participant_muted, room_locked, recording_started, recording_finished, recording_refused) as JSON to this `URL`, signed with -webhook-secret when set")
	webhookSecret := fs.String("webhook-secret", "", "a secret of 32 or more characters the webhook's requests are signed with (Mcu-Signature), for its receiver to check them; empty: unsigned. Prefer the variable: other users see a command line [MCU_WEBHOOK_SECRET]")
	autoRecordDef, autoRecordErr := strconv.ParseBool(env("MCU_AUTO_RECORD", "false"))
	fs.BoolVar(&cfg.AutoRecord, "auto-record", autoRecordDef, "record every room from its first participant on, as a POST to its recording would start it; one stopped through the API stays stopped [MCU_AUTO_RECORD]")
	size := str("size", "MCU_SIZE", "1280x720", "canvas `WxH`")
	fps := str("fps", "MCU_FPS", "30", "output frame rate")
	bitrate := str("bitrate", "MCU_BITRATE", "1500k", "video `bitrate`")
	minBitrate := str("min-bitrate", "MCU_MIN_BITRATE", "auto", "least video `bitrate` while a receiver reports heavy loss; auto is a fifth of -bitrate, at least 150k (or -bitrate when lower); -bitrate's value keeps it constant")
	abitrate := str("audio-bitrate", "MCU_AUDIO_BITRATE", "64k", "Opus `bitrate` per output")
	speed := str("speed", "MCU_SPEED", "-6", "libvpx cpu-used, negative (a fixed speed; -16 is the fastest)")
	strainSpeed := str("strain-speed", "MCU_STRAIN_SPEED", strconv.Itoa(mixer.DefaultStrainSpeed), "the fastest libvpx cpu-used a room's encoder steps to, from -speed, while its pictures take too long for the frame rate (the machine short of CPU), back to -speed once it has time again; 0, or a speed no faster than -speed, keeps -speed fixed")
	layoutName := str("layout", "MCU_LAYOUT", "grid", "default `layout` of new rooms: grid or speaker")
	voices := str("voices", "MCU_VOICES", strconv.Itoa(mixer.LiveVoices), "how many people's sound each mix takes at most: the loudest at each moment, faded in and out as they change; 0: everyone's")
	maxp := str("max-participants", "MCU_MAX_PARTICIPANTS", "25", "people shown per room; more get 429")
	connsPerClient := str("max-conns-per-client", "MCU_MAX_CONNS_PER_CLIENT", "256", "HTTP connections open at once from one client (an IPv4 address, an IPv6 /64); more are closed unanswered. 0: no bound, behind a reverse proxy, whose connections all come from it")
	maxViewers := str("max-viewers", "MCU_MAX_VIEWERS", "100", "viewers (WHEP) per room; more get 429")
	maxRooms := str("max-rooms", "MCU_MAX_ROOMS", "50", "rooms open at once (each runs an encoder); a join that would open another gets 503")
	overloadHold := str("overload-hold", "MCU_OVERLOAD_HOLD", "10s", "after the server falls behind its media for want of CPU (late ticks, a busy encoder, a decoder 500 ms behind), refuse joins of senders and new rooms with 503 for this `duration` (viewers are still taken); 0 never refuses")
	peerTimeout := str("peer-timeout", "MCU_PEER_TIMEOUT", room.DefaultPeerTimeout.String(), "how long a participant whose packets stopped (their network gone) keeps their session and tile, for an ICE restart to bring them back (a browser's comes some 8 s after its network goes), from 10s to 10m")
	var iceServers, natIPs listFlag
	fs.Var(&iceServers, "ice-server", "STUN/TURN `url`, repeatable, e.g. turn:user:secret@turn.example.com:3478 [MCU_ICE_SERVERS, comma-separated]")
	fs.Var(&natIPs, "nat1to1-ip", "public `IP` to announce instead of the host's, repeatable [MCU_NAT1TO1_IP]")
	iceServers.setEnv(env("MCU_ICE_SERVERS", ""))
	natIPs.setEnv(env("MCU_NAT1TO1_IP", ""))
	udpPort := str("udp-port", "MCU_UDP_PORT", "0", "carry all media on this one UDP `port` (0: a port per session)")
	loopback := str("loopback-candidates", "MCU_LOOPBACK_CANDIDATES", "auto", "offer 127.0.0.1 ICE candidates: auto (when listening on loopback), true, false")
	shutdown := str("shutdown-timeout", "MCU_SHUTDOWN_TIMEOUT", "20s", "on SIGTERM, how long finalizing recordings and closing peers may take before the process gives up and exits 1; keep it under the service manager's own stop timeout")
	// Read from the environment after parsing: as a flag's default, the
	// usage text would show it.
	authToken := fs.String("auth-token", "", "a secret of 16 or more characters that joins (join, WHIP, WHEP) and the API must carry as \"Authorization: Bearer TOKEN\"; empty: none needed. Prefer the variable: other users see a command line [MCU_AUTH_TOKEN]")
	tlsCert := str("tls-cert", "MCU_TLS_CERT", "", "serve HTTPS with this certificate `file` (PEM, the chain after the server's own), read again when it changes on disk; with -tls-key")
	tlsKey := str("tls-key", "MCU_TLS_KEY", "", "the private key `file` (PEM) of -tls-cert")
	debugAddr := str("debug-addr", "MCU_DEBUG_ADDR", "", "serve Go's pprof profiles on this `address` (keep it private)")
	verbose := fs.Bool("v", false, "log debug details")
	if done, err := parseFlags(fs, args, false); done {
		return o, true, err
	}
	vc := &cfg.Mixer.Video
	if vc.Width, vc.Height, err = parseSize(*size); err != nil {
		return o, true, usageError{err}
	}
	if vc.FPS, err = strconv.Atoi(*fps); err != nil {
		return o, true, usageError{fmt.Errorf("-fps %q: want a whole number of pictures a second", *fps)}
	}
	if vc.Bitrate, err = parseBitrate(*bitrate); err != nil {
		return o, true, usageError{fmt.Errorf("-bitrate: %w", err)}
	}
	if *minBitrate != "auto" {
		if cfg.MinBitrate, err = parseBitrate(*minBitrate); err != nil {
			return o, true, usageError{fmt.Errorf("-min-bitrate: %w", err)}
		}
	}
	if cfg.Mixer.Audio.Bitrate, err = parseBitrate(*abitrate); err != nil {
		return o, true, usageError{fmt.Errorf("-audio-bitrate: %w", err)}
	}
	if vc.Speed, err = strconv.Atoi(*speed); err != nil {
		return o, true, usageError{fmt.Errorf("-speed %q: want a whole number, a negative libvpx cpu-used", *speed)}
	}
	if cfg.Mixer.StrainSpeed, err = strconv.Atoi(*strainSpeed); err != nil || cfg.Mixer.StrainSpeed > 0 || cfg.Mixer.StrainSpeed < -16 {
		return o, true, usageError{fmt.Errorf("-strain-speed %q: want a libvpx cpu-used from -16 (the fastest) to -1, or 0 to keep -speed fixed", *strainSpeed)}
	}
	vc.KeyframeInterval = 5 * vc.FPS
	if err := cfg.Mixer.Layout.UnmarshalText([]byte(*layoutName)); err != nil {
		return o, true, usageError{fmt.Errorf("-layout %q: want grid or speaker", *layoutName)}
	}
	if cfg.Mixer.Voices, err = strconv.Atoi(*voices); err != nil || cfg.Mixer.Voices < 0 {
		return o, true, usageError{fmt.Errorf("-voices %q: want 0 (everyone's) or more", *voices)}
	}
	if cfg.MaxParticipants, err = strconv.Atoi(*maxp); err != nil {
		return o, true, usageError{fmt.Errorf("-max-participants %q: want a whole number", *maxp)}
	}
	perClient, err := strconv.Atoi(*connsPerClient)
	if err != nil || perClient < 0 {
		return o, true, usageError{fmt.Errorf("-max-conns-per-client %q: want 0 (no bound) or more", *connsPerClient)}
	}
	if cfg.MaxViewers, err = strconv.Atoi(*maxViewers); err != nil {
		return o, true, usageError{fmt.Errorf("-max-viewers %q: want a whole number", *maxViewers)}
	}
	if cfg.MaxRooms, err = strconv.Atoi(*maxRooms); err != nil {
		return o, true, usageError{fmt.Errorf("-max-rooms %q: want a whole number", *maxRooms)}
	}
	if err := checkWebhook(*webhookURL); err != nil {
		return o, true, usageError{err}
	}
	if autoRecordErr != nil {
		return o, true, usageError{fmt.Errorf("MCU_AUTO_RECORD %q: want true or false", os.Getenv("MCU_AUTO_RECORD"))}
	}
	if cfg.RecordMinFree, err = parseBytes(*recordMinFree); err != nil {
		return o, true, usageError{fmt.Errorf("-record-min-free: %w", err)}
	}
	if cfg.OverloadHold, err = time.ParseDuration(*overloadHold); err != nil || cfg.OverloadHold < 0 {
		return o, true, usageError{fmt.Errorf("-overload-hold %q: want a duration, such as 10s, or 0", *overloadHold)}
	}
	if cfg.Net.PeerTimeout, err = time.ParseDuration(*peerTimeout); err != nil || cfg.Net.PeerTimeout < 10*time.Second || cfg.Net.PeerTimeout > maxPeerTimeout {
		return o, true, usageError{fmt.Errorf("-peer-timeout %q: want a duration from 10s to %v, such as 15s (a browser restarts its ICE some 8 s after its network goes; a silent peer holds its place in the room as long)", *peerTimeout, maxPeerTimeout)}
	}
	for _, s := range iceServers.vals {
		if lower := strings.ToLower(s); !iceServers.fromEnv && (strings.Contains(lower, ",stun") || strings.Contains(lower, ",turn")) {
			return o, true, usageError{errors.New("-ice-server: one server per flag (a comma in a value is a TURN password's; the environment's list is comma-separated)")}
		}
		srv, err := room.ParseICEServer(s)
		if err != nil {
			return o, true, usageError{err}
		}
		cfg.Net.ICEServers = append(cfg.Net.ICEServers, srv)
	}
	for _, ip := range natIPs.vals {
		if err := room.CheckNAT1To1IP(ip); err != nil {
			return o, true, usageError{err}
		}
	}
	cfg.Net.NAT1To1IPs = natIPs.vals
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return o, true, usageError{fmt.Errorf("-listen %q: %w", *listen, err)}
	}
	switch *loopback {
	case "auto":
		ip := net.ParseIP(host)
		cfg.Net.Loopback = host == "localhost" || ip != nil && ip.IsLoopback()
	case "true", "false":
		cfg.Net.Loopback = *loopback == "true"
	default:
		return o, true, usageError{fmt.Errorf("-loopback-candidates %q: want auto, true or false", *loopback)}
	}
	shutdownTimeout, err := time.ParseDuration(*shutdown)
	if err != nil || shutdownTimeout <= 0 {
		return o, true, usageError{fmt.Errorf("-shutdown-timeout %q: want a duration above 0, such as 20s", *shutdown)}
	}
	if *authToken == "" {
		*authToken = env("MCU_AUTH_TOKEN", "")
	}
	if *webhookSecret == "" {
		*webhookSecret = env("MCU_WEBHOOK_SECRET", "")
	}
	if err := checkToken(*webhookSecret); err != nil || *webhookSecret != "" && len(*webhookSecret) < roomtoken.MinSecret {
		// Each signed event is an HMAC of a body anyone on its way may
		// read: a short secret could be guessed from it, offline.
		return o, true, usageError{fmt.Errorf("-webhook-secret: want %d or more printable ASCII characters without spaces (openssl rand -base64 32)", roomtoken.MinSecret)}
	}
	if err := checkToken(*authToken); err != nil {
		return o, true, usageError{err}
	}
	if err := cfg.Validate(); err != nil {
		return o, true, usageError{err}
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return o, true, usageError{errors.New("-tls-cert and -tls-key go together: a certificate and its private key")}
	}
	port, err := strconv.Atoi(*udpPort)
	if err != nil || port < 0 || port > 65535 {
		return o, true, usageError{fmt.Errorf("-udp-port %q: want 0..65535", *udpPort)}
	}
	return serveOptions{
		cfg: cfg, listen: *listen, size: *size, minBitrate: *minBitrate,
		webhookURL: *webhookURL, webhookSecret: *webhookSecret, authToken: *authToken,
		tlsCert: *tlsCert, tlsKey: *tlsKey, debugAddr: *debugAddr,
		udpPort: port, connsPerClient: perClient, shutdownTimeout: shutdownTimeout, verbose: *verbose,
	}, false, nil
}

// serve runs the server o describes until ctx ends (SIGTERM), then
// finalizes every recording and closes every peer.
func serve(ctx context.Context, o serveOptions, stdout, stderr io.Writer) error {
	cfg, shutdownTimeout := o.cfg, o.shutdownTimeout
	vc := &cfg.Mixer.Video
	log := newLogger(stderr, slog.LevelInfo, o.verbose)
	if o.authToken != "" && len(o.authToken) < roomtoken.MinSecret {
		log.Warn("the -auth-token is under 32 characters: room tokens are not taken (make one with: openssl rand -base64 32)")
	}
	var certs *certReloader
	var err error
	if o.tlsCert != "" {
		if certs, err = newCertReloader(o.tlsCert, o.tlsKey, log); err != nil {
			return err
		}
	}
	cfg.Logger = log
	if cfg.RecordDir, err = recordDirReady(cfg.RecordDir); err != nil {
		return err
	}
	defer finishLeftRecordings(ctx, cfg, shutdownTimeout, log)()
	if free, ok := diskspace.Free(cfg.RecordDir); ok && free < cfg.RecordMinFree {
		// Found now, not at a meeting's first recording.
		log.Warn("the recordings' disk has less free space than -record-min-free: recordings are refused until it has more",
			"free_mib", free>>20, "record_min_free_mib", cfg.RecordMinFree>>20)
	}

	if o.udpPort > 0 {
		conn, err := listenMedia(o.udpPort, log)
		if err != nil {
			return err
		}
		defer conn.Close()
		// One socket on every address: each peer answered from the
		// address it wrote to, not the kernel's choice for it.
		media, err := replyaddr.Wrap(conn)
		if err != nil {
			return fmt.Errorf("media port: %w", err)
		}
		cfg.Net.UDPMux = media
		log.Info("all media on one UDP port", "addr", conn.LocalAddr())
	}

	if o.debugAddr != "" {
		closeDebug, err := serveDebug(o.debugAddr, log)
		if err != nil {
			return err
		}
		defer closeDebug()
	}

	// Each participant's decoder runs on its own OS thread and holds a Go P
	// while FFmpeg works; with GOMAXPROCS at the number of cores, the
	// room's mixer loop could wait for a P and miss its tick. More Ps leave
	// CPU arbitration to the kernel, which knows the threads' priorities.
	// Go's default already follows the CPUs the process may use (affinity,
	// a container's CPU limit), which the host's count does not: it is
	// read afresh, so that a second serve in one process (the tests) does
	// not multiply the first one's. Once set here, Go no longer follows a
	// limit that changes while it runs.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.SetDefaultGOMAXPROCS()
		runtime.GOMAXPROCS(max(8, 4*runtime.GOMAXPROCS(0)))
	}

	if !sched.CanRaise() {
		// Said once: without it every room's encoder and clock run at
		// the default priority (README: Performance).
		log.Info("thread priorities not raised (no CAP_SYS_NICE): the rooms' encoders and clocks run at the default priority, and lose pictures sooner on a busy machine")
	}

	metrics := server.NewMetrics()
	cfg.Observer = metrics
	var hooks *webhook.Sender
	if o.webhookURL != "" {
		hooks = webhook.New(o.webhookURL, webhook.Options{Secret: o.webhookSecret, Logger: log})
		cfg.Events = func(e room.Event) {
			if e.Type == room.EventRecordingFinished || e.Type == room.EventRoomFinished {
				// A room's end, told after all its sessions' leaves when
				// it is let go at once: past the room's share of the queue.
				hooks.SendLast(e.Room, e)
				return
			}
			hooks.Send(e.Room, e)
		}
	}
	rooms, err := room.NewManager(cfg)
	if err != nil {
		return err
	}
	metrics.CountRooms(rooms)
	if hooks != nil {
		metrics.CountWebhook(func() (uint64, uint64, uint64) { return hooks.Delivered(), hooks.Failed(), hooks.Dropped() })
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("-listen: %w", err)
	}
	ln = limitConns(ln, o.connsPerClient, connTotal(), log)
	api := server.New(rooms, metrics, log)
	api.RequireToken(o.authToken)
	srv := httpServer(api)
	srv.ErrorLog = httpErrorLog(log)
	scheme := "http"
	if certs != nil {
		// Browsers give a page the camera and microphone only on a secure
		// origin: https, or http on this machine.
		scheme, srv.TLSConfig = "https", certs.tlsConfig()
	}
	served := make(chan error, 1)
	go func() {
		if certs != nil {
			served <- srv.ServeTLS(ln, "", "") // the certificate from TLSConfig; HTTP/2 offered
		} else {
			served <- srv.Serve(ln)
		}
	}()
	log.Info("mcu listening", "url", scheme+"://"+ln.Addr().String()+"/", "record_dir", cfg.RecordDir, "auto_record", cfg.AutoRecord,
		"canvas", o.size, "fps", vc.FPS, "bitrate", vc.Bitrate, "min_bitrate", o.minBitrate, "loopback_candidates", cfg.Net.Loopback, "peer_timeout", cfg.Net.PeerTimeout.String(),
		"token_needed", o.authToken != "")
	fmt.Fprintf(stdout, "mcu: open %s://%s/ in a browser\n", scheme, browserAddr(ln.Addr()))

	var serveErr error
	select {
	case serveErr = <-served:
		// The listener failed: the rooms are closed as on SIGTERM, their
		// recordings finalized, and the error returned.
		log.Error("http server failed, shutting down", "err", serveErr)
	case <-ctx.Done():
		// SIGTERM or Ctrl-C: stop taking requests, finalize recordings,
		// close every peer, then exit 0.
		log.Info("shutting down")
	}
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	// The listener closes at once; the requests under way finish while the
	// rooms close, so that a slow client cannot hold up the recordings.
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Shutdown(stop) }()
	closeErr := rooms.Close(stop)
	if err := <-httpDone; err != nil {
		log.Warn("http shutdown", "err", err)
		srv.Close()
	}
	if hooks != nil {
		// The rooms' last events (their recordings finalized, their
		// close) go out within what is left of the timeout.
		if err := hooks.Close(stop); err != nil {
			closeErr = errors.Join(closeErr, fmt.Errorf("webhook: %w", err))
		}
	}
	if closeErr != nil {
		return errors.Join(serveErr, fmt.Errorf("close rooms: %w", closeErr))
	}
	if serveErr != nil {
		return fmt.Errorf("http server: %w", serveErr)
	}
	log.Info("stopped")
	return nil
}

// finishLeftRecordings finishes, in the background, the recordings a
// killed server left unfinished in cfg.RecordDir (no Duration, no Cues:
// players cannot seek in them), once nothing has written to them for
// finishQuiet (another server may share the folder). The function it
// returns cuts that work short, leaving the files as they were, and waits
// for it until timeout after ctx ended (a big file's sync on a slow disk),
// the time the rooms' close has too; a finish cut short leaves its
// .finishing file for the next start.
func finishLeftRecordings(ctx context.Context, cfg room.Config, timeout time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	// The wait counts from the stop's start (SIGTERM), as the rooms' close
	// does: a finish held on a disk that hangs, behind recordings held on
	// it too, must not make the process outlive -shutdown-timeout twice.
	giveUp := make(chan struct{})
	context.AfterFunc(ctx, func() { time.AfterFunc(timeout, func() { close(giveUp) }) })
	go func() {
		defer close(stopped)
		// Again every finishEvery: a recording of this server's whose
		// disk filled (its finalizing failed too) is finished once there
		// is room, and one refused at start for want of space is taken
		// up then. The same failure is logged once, not at every round.
		wait, warned := finishQuiet, ""
		for {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return
			}
			wait = finishEvery
			done, removed, err := finishAll(ctx, cfg.RecordDir, finishQuiet, time.Now(), cfg.RecordMinFree)
			for _, path := range done {
				log.Info("finished a recording a killed server left unfinished (its duration and cues written)", "path", path)
			}
			for _, path := range removed {
				log.Info("removed a recording a killed server left without a frame (killed within its first second: nothing to play)", "path", path)
			}
			// The same failure: its text but for the disk's figures, which
			// move whenever anything writes to the disk.
			if key := mibFigures.ReplaceAllString(fmt.Sprint(err), "# MiB"); err != nil && ctx.Err() == nil && key != warned {
				warned = key
				log.Warn("recordings a killed server left unfinished could not all be finished; they play, but players cannot seek in them", "err", err)
			}
		}
	}()
	return func() {
		cancel()
		select {
		case <-stopped:
		case <-giveUp:
			log.Warn("a recording's finish was still under way at the stop; the file stays as it was")
		}
	}
}

// serveDebug serves Go's pprof profiles on addr until the function it
// returns is called.
func serveDebug(addr string, log *slog.Logger) (stop func(), err error) {
	dl, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug address: %w", err)
	}
	// pprof registers on the default mux; a CPU profile's answer takes
	// its seconds to write.
	dbg := &http.Server{Handler: http.DefaultServeMux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 5 * time.Minute, IdleTimeout: time.Minute, MaxHeaderBytes: maxHeaderBytes}
	go dbg.Serve(dl)
	if ip, ok := dl.Addr().(*net.TCPAddr); ok && !ip.IP.IsLoopback() {
		// Profiles show the server's insides and cost CPU to take.
		log.Warn("pprof is open to the network: anyone who reaches it can profile the server", "addr", dl.Addr())
	} else {
		log.Info("pprof on", "addr", dl.Addr())
	}
	return func() { dbg.Close() }, nil
}

// listenMedia opens the one UDP port of -udp-port on every address, as
// pion gathers on every interface without it: -listen's host is for HTTP,
// which often sits behind a proxy on loopback while the media must reach
// the world.
//
// Every room's media goes through this one socket, so its buffers are
// grown to mediaBuffer: the kernel's default (208 KiB) holds some 30 ms of
// 25 people's video coming in, so a reader held up that long loses
// packets of every room, and a keyframe going out to many receivers fills
// it and holds every other send behind it. The buffers given short of
// that are logged, with the sysctl that caps them.
func listenMedia(port int, log *slog.Logger) (*net.UDPConn, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{Port: port})
	if err != nil {
		return nil, fmt.Errorf("media port: %w", err)
	}
	read, write, err := growBuffers(conn, mediaBuffer)
	switch {
	case err != nil:
		log.Warn("media port's buffers not grown", "err", err)
	case read < mediaBuffer || write < mediaBuffer:
		log.Warn("media port's buffers smaller than wanted: "+bufferHint, "receive", read, "send", write, "want", mediaBuffer)
	}
	return conn, nil
}

// mediaBuffer is the size of the media port's receive and send buffers:
// half a second of 25 people sending 2.5 Mbit/s each, or a keyframe of
// 100 KB going out to 40 receivers at once.
const mediaBuffer = 4 << 20

// browserAddr is where a browser on this machine reaches the server: an
// address listening on every interface is reached on loopback, which is
// also where browsers allow a camera over plain http.
func browserAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

// finishAll finishes the recordings left unfinished (a variable for the
// tests: one held on a disk that hangs).
var finishAll = recorder.FinishAll

// finishQuiet is how long an unfinished recording must have gone
// unwritten for the server to take it for one a killed server left.
var finishQuiet = 10 * time.Second

// mibFigures are the disk's figures in a finish's error (FinishAll's
// "%d MiB free, its copy takes %d MiB and the server keeps %d MiB").
var mibFigures = regexp.MustCompile(`[0-9]+ MiB`)

// finishEvery is how often the server looks again for recordings left
// unfinished (a killed server's, or its own whose disk filled).
var finishEvery = time.Minute

// recordDirReady makes the recordings' folder and checks that a file can
// be made in it, so that a folder the server cannot write is found at
// start, not at the first recording of a meeting. It returns the folder's
// absolute path: logs and the API name it whatever the working directory.
func recordDirReady(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("-record-dir %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return "", fmt.Errorf("-record-dir: %w", err)
	}
	f, err := os.CreateTemp(abs, ".mcu-check-*")
	if err != nil {
		return "", fmt.Errorf("-record-dir: recordings cannot be written: %w", err)
	}
	f.Close()
	os.Remove(f.Name())
	return abs, nil
}

// maxHeaderBytes bounds a request's headers (Go's default is 1 MiB): the
// API's are a few hundred bytes, a browser's with cookies a few KiB.
const maxHeaderBytes = 32 << 10

// httpServer serves h to clients. ReadTimeout bounds a whole request, body
// included (an SDP offer is a few KiB): a client that stalls mid-body
// cannot hold a handler. WriteTimeout bounds a client that stops reading
// its answer; the longest answer to wait for is a recording's stop.
// IdleTimeout is as short: HTTP/2 (over TLS) applies neither read timeout
// before a request's headers are whole, so a client stalled in its header
// block is cut off only when the connection has been idle that long.
func httpServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: time.Minute, IdleTimeout: 10 * time.Second, MaxHeaderBytes: maxHeaderBytes}
}

// maxPeerTimeout is the longest -peer-timeout: a peer that went silent (or
// never completed its DTLS handshake) holds its session and its place in
// the room that long.
const maxPeerTimeout = 10 * time.Minute

// httpErrorLog is the HTTP server's own error log (a TLS handshake that
// failed, a plain-HTTP request on the HTTPS port, a broken connection):
// into the structured log, at most 10 lines at once and then one per 10 s,
// each saying how many were left out before it. Every client, a scanner
// too, can make one such line per connection.
func httpErrorLog(log *slog.Logger) *stdlog.Logger {
	return stdlog.New(&httpLogWriter{log: log, limit: lograte.Limiter{Burst: 10, Interval: 10 * time.Second}}, "", 0)
}

type httpLogWriter struct {
	log   *slog.Logger
	limit lograte.Limiter
}

func (w *httpLogWriter) Write(p []byte) (int, error) {
	if ok, dropped := w.limit.Allow(time.Now()); ok {
		w.log.Info(strings.TrimSpace(string(p)), "source", "http", "not_logged_before", dropped)
	}
	return len(p), nil
}

// checkWebhook refuses a -webhook that is not an absolute http or https
// URL. Empty is none.
func checkWebhook(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		// Named by its scheme and host only, as the logs name the
		// receiver: its credentials, path or query may hold a secret.
		shown := ""
		if err == nil && u.Host != "" { // a URL without a scheme has none
			shown = " " + u.Scheme + "://" + u.Host + "/…"
		}
		return fmt.Errorf("-webhook%s: want an http or https URL, such as https://app.example.com/mcu-events, without credentials", shown)
	}
	return nil
}

// checkToken refuses an -auth-token that is short enough to guess, or that
// cannot travel in an HTTP header as it is (a space, a control
// character, something outside ASCII). Empty is no token.
func checkToken(token string) error {
	if token == "" {
		return nil
	}
	if len(token) < 16 {
		return errors.New("-auth-token: want 16 characters or more")
	}
	for _, r := range token {
		if r <= ' ' || r > '~' {
			return errors.New("-auth-token: want printable ASCII without spaces")
		}
	}
	return nil
}

// parseBytes reads a size in bytes: a whole number, with K, M, G or T for
// 1024, 1024², ... (KiB, MB and such are taken too, as the same).
func parseBytes(s string) (uint64, error) {
	num, shift := strings.TrimSpace(s), 0
	upper := strings.ToUpper(num)
	for _, suffix := range []string{"IB", "B"} {
		if strings.HasSuffix(upper, suffix) && len(upper) > len(suffix) {
			upper = upper[:len(upper)-len(suffix)]
			break
		}
	}
	if n := len(upper); n > 0 {
		if i := strings.IndexByte("KMGT", upper[n-1]); i >= 0 {
			upper, shift = upper[:n-1], 10*(i+1)
		}
	}
	v, err := strconv.ParseUint(upper, 10, 64)
	if err != nil || v > math.MaxUint64>>shift {
		return 0, fmt.Errorf("bad size %q: want bytes, such as 268435456, 256M or 1G", s)
	}
	return v << shift, nil
}
