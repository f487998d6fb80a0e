package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"mcu/client"
)

const viewUsage = `usage: mcu view [-url URL] [-room R] [-codec vp8|h264] [-duration D]

Watches a room's mix from the command line, as a WHEP viewer: in VP8, or
with -codec h264 as a player that decodes H.264 alone (the room then
encodes its mix in H.264 too, while the viewer is in it). Prints each
second the pictures received, their bitrate and the freezes (pauses over
200 ms, or three pictures' time below 15 fps), and the totals at the end
(after -duration, or at Ctrl-C). For checking a room, or for adding such
a receiver to a load (mcu load).

Exit status: 0; 1 when the join fails, when no picture of the mix came,
or when the connection ends before the watch does (the server ended the
session, or the network went: ICE gives up after 30 s without a packet);
2 for a mistake on the command line.

flags:
`

func viewCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("view", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, viewUsage); fs.PrintDefaults() }
	url := fs.String("url", "http://127.0.0.1:8080", "the server's base `URL`")
	room := fs.String("room", "load", "`room` to watch")
	codecName := fs.String("codec", "vp8", "the mix's `codec`: vp8, or h264 (offered alone)")
	duration := fs.Duration("duration", 0, "how long to watch (0: until interrupted)")
	token := fs.String("token", "", "the server's -auth-token, if it has one [MCU_AUTH_TOKEN]")
	if done, err := parseFlags(fs, args, false); done {
		return err
	}
	h264 := false
	switch strings.ToLower(*codecName) {
	case "vp8":
	case "h264", "h.264":
		h264 = true
	default:
		return usageError{fmt.Errorf("-codec %q: want vp8 or h264", *codecName)}
	}
	if *duration < 0 {
		return usageError{fmt.Errorf("-duration %v: want 0 or more", *duration)}
	}
	if *token == "" {
		*token = os.Getenv("MCU_AUTH_TOKEN")
	}
	jctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	c, err := client.Connect(jctx, client.Options{Server: strings.TrimRight(*url, "/"), Room: *room, Endpoint: client.WHEP, H264: h264, Token: *token})
	cancel()
	if err != nil {
		return fmt.Errorf("join %s as a viewer: %w", *room, err)
	}
	defer c.Close()
	start := time.Now()
	// The ticker first: with -duration, its last second is due before the
	// watch ends, and is printed (below) whichever the select sees first.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	if *duration > 0 { // watched for that long from the join on
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	var prev client.Stats
	prevAt := start
	line := func(now time.Time) {
		st := c.Stats()
		d := now.Sub(prevAt).Seconds()
		fmt.Fprintf(stdout, "%4.0fs  %5.1f fps  %5.0f kbit/s  freezes %d\n", now.Sub(start).Seconds(),
			float64(st.Frames-prev.Frames)/d, float64(st.VideoBytes-prev.VideoBytes)*8/1000/d, st.Freezes)
		prev, prevAt = st, now
	}
	var ended error // why the connection ended before the watch did
watch:
	for {
		select {
		case <-ctx.Done():
			select {
			case now := <-tick.C: // a second that ended with the watch
				line(now)
			default:
			}
			break watch
		case <-c.Ended():
			if st := c.EndState(); st == webrtc.PeerConnectionStateClosed {
				ended = errors.New("the server ended the session")
			} else {
				ended = fmt.Errorf("the connection to the server %s", st)
			}
			break watch
		case now := <-tick.C:
			line(now)
		}
	}
	st := c.Stats()
	now := time.Now()
	fps := 0.0
	if st.Frames > 1 && now.Sub(st.First) > 0 {
		fps = float64(st.Frames-1) / now.Sub(st.First).Seconds() // from the first picture on
	}
	// A mix that stopped before the watch ended: the pause since its last
	// picture is a freeze too (as mcu load counts it), the longest maybe.
	if !st.LastFrame.IsZero() {
		if gap := now.Sub(st.LastFrame); gap > st.FreezeGap {
			st.Freezes++
			st.LongestGap = max(st.LongestGap, gap)
		}
	}
	first := fmt.Sprintf("first picture %v after the join", st.FirstFrame.Round(time.Millisecond))
	if st.FirstFrame == 0 {
		first = "no picture to show came"
	}
	format := "no format"
	if vc := c.VideoCodec(); vc != 0 { // 0: no packet of the mix came
		format = vc.String()
	}
	fmt.Fprintf(stdout, "watched room %q for %v: %d pictures of the mix in %s (%.1f fps), %d keyframes, %d freezes (longest pause %v), %s\n",
		*room, now.Sub(start).Round(100*time.Millisecond), st.Frames, format, fps,
		st.Keyframes, st.Freezes, st.LongestGap.Round(time.Millisecond), first)
	if ended != nil {
		return fmt.Errorf("watching room %s: %w", *room, ended)
	}
	lctx, lcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer lcancel()
	if err := c.Leave(lctx); err != nil {
		fmt.Fprintf(stderr, "mcu view: leave: %v\n", err)
	}
	if st.FirstFrame == 0 {
		// A room's mix comes within a second of a join, even with nobody
		// in it to show: a watch that saw none checked nothing.
		return fmt.Errorf("watching room %s: no picture of the mix came in %v", *room, now.Sub(start).Round(100*time.Millisecond))
	}
	return nil
}
