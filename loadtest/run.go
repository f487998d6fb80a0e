package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"mcu/client"
	"mcu/mixer"
)

// Config describes a load.
type Config struct {
	URL  string // the server, e.g. http://127.0.0.1:8080
	Room string
	N    int // participants
	// Duration is the whole run, from the first join to the leaving.
	Duration time.Duration
	// Ramp is the time between two joins.
	Ramp time.Duration
	// Lossy is how many participants (the last ones) lose every fourth
	// packet of the mix's video they receive, as on a congested link (their reports
	// make the server lower the mix's bitrate).
	Lossy int
	// Capped is how many participants (the last ones before the lossy
	// ones) receive the mix's video through a link of Link bits per
	// second, as behind a bottleneck (client.Options.VideoLink).
	Capped, Link int
	// Decoders is how many participants (the first ones) decode the mix
	// and check the picture; the others only count frames from RTP.
	Decoders int
	// H264 is how many participants (the first ones) take the mix in
	// H.264, sending their VP8 on a video section of their own (the room
	// then encodes H.264 too, and the codec cost counts that encode).
	H264 int
	// Clips are what participants send, reused round robin.
	Clips []Clip
	// PID is the server's process; 0 finds it from the URL's port.
	PID int
	// CostMedia is how much of each clip the codec cost measurement
	// decodes and how much composite it encodes; 0 skips it. The default,
	// 10 s, holds the spread between runs to a few per cent on a shared
	// 2-core VM (3 s gave codec costs 15 % apart on the same clips).
	CostMedia time.Duration
	// Mixer are the server's room settings: the encoder settings the codec
	// cost is measured with, and the size the decoded mix must have.
	Mixer mixer.Config
	// JoinTimeout bounds one join (ICE gathering and the HTTP exchange).
	JoinTimeout time.Duration
	// Token is sent with the joins and the API's requests, for a server
	// started with -auth-token.
	Token string
	// ProcRoot is where /proc is (tests change it).
	ProcRoot string
}

// DefaultConfig is 30 s, joins 200 ms apart, one decoder, 10 s of codec
// cost, the server's default room settings. URL, Room, N and Clips must be
// set.
func DefaultConfig() Config {
	c := Config{Duration: 30 * time.Second, Ramp: 200 * time.Millisecond, Decoders: 1,
		CostMedia: 10 * time.Second, Mixer: mixer.DefaultConfig(), JoinTimeout: 20 * time.Second, ProcRoot: "/proc"}
	c.Mixer.Voices = mixer.LiveVoices
	return c
}

// Validate reports the first setting that is out of range.
func (c Config) Validate() error {
	u, err := url.Parse(c.URL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("loadtest: URL %q: want http://host:port", c.URL)
	case c.Room == "":
		return errors.New("loadtest: no room")
	case c.N < 1:
		return errors.New("loadtest: need at least one participant")
	case c.Duration <= 0:
		return errors.New("loadtest: duration must be positive")
	case c.Ramp < 0, c.Decoders < 0, c.Lossy < 0, c.Capped < 0, c.H264 < 0, c.CostMedia < 0, c.PID < 0:
		return errors.New("loadtest: ramp, decoders, lossy and capped participants, H.264 receivers, cost time and pid cannot be negative")
	case c.Capped > 0 && c.Link < 50_000:
		return fmt.Errorf("loadtest: capped participants' link %d bit/s: want at least 50k", c.Link)
	case c.H264 > c.N:
		return errors.New("loadtest: more H.264 receivers than participants")
	case c.Decoders+c.Lossy+c.Capped > c.N:
		return errors.New("loadtest: the participants that decode and the lossy and capped ones are more than N (a lossy one would see broken pictures)")
	case len(c.Clips) == 0:
		return errors.New("loadtest: no clips")
	}
	return c.Mixer.Validate()
}

// Errors that make the load fail (with ctx's error when it ends during
// the codec cost: everything else is reported in the Result).
var (
	ErrUnreachable = errors.New("loadtest: server not reachable")
	ErrNoneJoined  = errors.New("loadtest: no participant joined")
)

// Run measures the codec cost of the load, then runs it: participants join
// one by one, send their clips and receive the mix; a line of progress is
// written to out every second. It stops after cfg.Duration or when ctx
// ends, makes everyone leave, and returns what was measured (also when it
// returns ErrNoneJoined). Print the summary with Result.WriteSummary.
func Run(ctx context.Context, cfg Config, out io.Writer) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	base := cfg.URL
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	cfg.URL = base
	out = &lockedWriter{w: out} // the joins report failures as they happen
	res := &Result{Config: cfg, Clips: Assign(cfg.Clips, cfg.N)}
	startScrape, err := scrape(ctx, base)
	var se *statusError
	if err != nil && !errors.As(err, &se) {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}

	proc, perr := serverProcess(cfg)
	res.Server.Err = perr
	if proc != nil {
		res.Server.PID, res.Server.Name, res.Server.InProcess = proc.PID, proc.Name(), proc.PID == os.Getpid()
	}

	// The codec cost of this load, measured the same way before and after.
	measureCost := func(ctx context.Context) (CodecCost, error) {
		return MeasureCodecCost(ctx, res.Clips, cfg.Mixer, cfg.CostMedia, cfg.H264 > 0)
	}
	if cfg.CostMedia > 0 {
		fmt.Fprintf(out, "measuring the codec cost of %d participants (%v of each clip)...\n", cfg.N, cfg.CostMedia)
		res.Cost, res.CostErr = measureCost(ctx)
		if err := ctx.Err(); err != nil {
			res.Interrupted = true
			return res, fmt.Errorf("loadtest: interrupted while measuring the codec cost: %w", err)
		}
	}

	// The run. The server's CPU, the machine's, this process's, the
	// metrics and the room's counters are compared between two marks:
	// this one, replaced by one taken settle after the last join when the
	// run lasts that long, so that the figures describe all N people.
	if proc != nil {
		if _, err := proc.CPU(); err != nil {
			res.Server.Err, proc = err, nil
		} else if m, err := proc.Memory(); err == nil {
			res.Server.PeakRSS = m.RSS
		}
	}
	// A scrape a mark cannot make it takes from the mark before it (prev),
	// so that the metrics still cover a known span (from the run's first
	// scrape); a room it cannot read leaves the room's counters out.
	takeMark := func(ctx context.Context, prev mark) mark {
		m := mark{scrape: prev.scrape, self: cpuTime()}
		if s, err := scrape(ctx, base); err == nil {
			m.scrape, m.fresh = s, true
		}
		var err error
		if m.room, err = roomInfo(ctx, base, cfg.Room, cfg.Token); err != nil {
			// Zero before the run: the room does not exist yet. After it,
			// the counters would cover more than the window.
			m.room, m.roomStale = prev.room, !prev.at.IsZero()
		}
		if proc != nil {
			m.server, m.serverErr = proc.CPU()
		}
		m.machine, m.steal, m.machineErr = machineCPU(cfg.ProcRoot)
		m.at = time.Now()
		return m
	}
	from := takeMark(ctx, mark{scrape: startScrape})
	start := from.at
	runCtx, stop := context.WithDeadline(ctx, start.Add(cfg.Duration))
	defer stop()

	parts := make([]*participant, cfg.N)
	for i := range parts {
		parts[i] = &participant{name: fmt.Sprintf("load-%02d", i+1), clip: res.Clips[i]}
		if i < cfg.Decoders {
			// An H.264 receiver gets the mix at its level's size, which
			// may be less than the canvas (its frame rate counts too).
			want := cfg.Mixer.Video
			if i < cfg.H264 {
				h := costH264(want)
				want.Width, want.Height = h.Width, h.Height
			}
			parts[i].check = &pictureCheck{WantWidth: want.Width, WantHeight: want.Height}
		}
		if i >= cfg.N-cfg.Lossy {
			parts[i].lose = lossyEvery
		} else if i >= cfg.N-cfg.Lossy-cfg.Capped {
			parts[i].link = cfg.Link
		}
		parts[i].h264 = i < cfg.H264
	}
	var mu sync.Mutex // guards participant.c and participant.joined
	var joins sync.WaitGroup
	joined := make(chan time.Time, 1) // when the last join ended, and everyone's media flowed
	joins.Go(func() {
		defer func() { joined <- time.Now() }()
		// The server decodes someone once their connection is up, which
		// is after Connect returns with the answer: the steady window
		// starts from the last connection, not the last answer.
		defer func() {
			mu.Lock()
			var up []<-chan struct{}
			for _, p := range parts {
				if p.c != nil {
					up = append(up, p.c.Connected())
				}
			}
			mu.Unlock()
			deadline := time.After(cfg.JoinTimeout) // one wait for all: those that are not up by then will not be
			for _, c := range up {
				select {
				case <-c:
				case <-deadline:
					return
				case <-runCtx.Done():
					return
				}
			}
		}()
		for i, p := range parts {
			select {
			case <-time.After(time.Until(start.Add(time.Duration(i) * cfg.Ramp))):
			case <-runCtx.Done():
				return
			}
			jctx, cancel := context.WithTimeout(runCtx, cfg.JoinTimeout)
			c, err := client.Connect(jctx, client.Options{Server: base, Room: cfg.Room, Name: p.name, Endpoint: client.Join,
				Video: p.clip.Video, Audio: p.clip.Audio, Decode: p.check != nil, LoseVideo: p.lose, VideoLink: p.link, H264: p.h264, Token: cfg.Token,
				FreezeGap: client.FreezeGapAt(cfg.Mixer.Video.FPS)})
			cancel()
			now := time.Now()
			mu.Lock()
			p.c, p.joinErr, p.joined = c, err, now
			mu.Unlock()
			if err != nil && runCtx.Err() == nil {
				fmt.Fprintf(out, "%s: join failed: %v\n", p.name, err)
			}
		}
	})

	sample := func() []receiverSample {
		mu.Lock()
		defer mu.Unlock()
		s := make([]receiverSample, len(parts))
		for i, p := range parts {
			if p.c == nil {
				continue
			}
			st := p.c.Stats()
			s[i] = receiverSample{joined: true, frames: st.Frames, freezes: st.Freezes, bytes: st.Bytes}
		}
		return s
	}
	readCPU := func() cpuSample {
		c := cpuSample{server: -1, self: cpuTime(), machine: -1}
		if proc != nil {
			if v, err := proc.CPU(); err == nil {
				c.server = v
			}
		}
		if v, _, err := machineCPU(cfg.ProcRoot); err == nil {
			c.machine = v
		}
		return c
	}
	tick := time.NewTicker(time.Second)
	prev, prevCPU := sample(), readCPU()
	prevAt := time.Now()
	var allJoined time.Time
loop:
	for {
		select {
		case <-runCtx.Done():
			break loop
		case allJoined = <-joined:
		case now := <-tick.C:
			if !reportDue(prevAt, time.Now()) {
				continue
			}
			// The second's counters first: the mark's requests take time,
			// which would count in this second and not the next.
			// The rates divide by the time between the samples, not between
			// the ticks: a tick is late by what the mark's requests took.
			cur, curCPU := sample(), readCPU()
			at := time.Now()
			// Nobody in (every join failed): no steady window, the figures
			// are of the whole run.
			if !allJoined.IsZero() && !res.Steady && now.Sub(allJoined) >= settle &&
				slices.ContainsFunc(cur, func(s receiverSample) bool { return s.joined }) {
				from, res.Steady = takeMark(runCtx, from), true
			}
			sec := secondOf(prev, cur, at.Sub(prevAt))
			sec.Elapsed = at.Sub(start)
			sec.ServerCores, sec.SelfCores, sec.OtherCores = cpuShares(prevCPU, curCPU, at.Sub(prevAt), res.Server.InProcess)
			prevCPU = curCPU
			res.Seconds = append(res.Seconds, sec)
			fmt.Fprintln(out, sec)
			prev, prevAt = cur, at
			mu.Lock()
			for _, p := range parts {
				if p.c != nil && p.check != nil {
					p.check.observe(p.c.Picture())
				}
			}
			mu.Unlock()
			if proc != nil {
				if m, err := proc.Memory(); err == nil {
					res.Server.PeakRSS = max(res.Server.PeakRSS, m.RSS)
				}
			}
		}
	}
	tick.Stop()
	joins.Wait()

	// The end: measure everything, then leave. The receivers' counts
	// first, so that pictures arriving while the rest is measured do not
	// count against the window.
	end := time.Now()
	stats := make([]client.Stats, len(parts))
	for i, p := range parts {
		if p.c != nil {
			stats[i] = p.c.Stats()
		}
	}
	res.Elapsed = end.Sub(start)
	res.Window = end.Sub(from.at)
	res.Interrupted = ctx.Err() != nil
	res.SelfCPU = cpuTime() - from.self
	if machine1, steal1, err := machineCPU(cfg.ProcRoot); err == nil && from.machineErr == nil {
		res.MachineCPU, res.Steal = machine1-from.machine, steal1-from.steal
		res.MachineCPUs, _ = machineCPUs(cfg.ProcRoot)
	}
	if proc != nil {
		cpu1, err := proc.CPU()
		if err == nil {
			err = from.serverErr
		}
		if err == nil {
			res.Server.CPU, res.Server.Wall, res.Server.Source = cpu1-from.server, res.Window, "/proc"
		} else {
			res.Server.Err = err
		}
		if m, err := proc.Memory(); err == nil {
			res.Server.PeakRSS = max(res.Server.PeakRSS, m.RSS)
			res.Server.LifetimePeakRSS = m.Peak
		}
	}
	quiet := context.WithoutCancel(ctx)
	if room1, err := roomInfo(quiet, base, cfg.Room, cfg.Token); err == nil {
		if !from.roomStale {
			res.Room = room1.Mixer.sub(from.room.Mixer)
		}
		res.Room.Participants, res.Room.Viewers, res.RoomStale = len(room1.Participants), room1.Viewers, from.roomStale
	} else {
		res.RoomErr = err
	}
	if endScrape, err := scrape(quiet, base); err == nil {
		res.Metrics.MetricsDelta = metricsDelta(from.scrape, endScrape)
		res.Metrics.Found = true
		if !from.fresh {
			// The CPU by stage, and the process's, would cover more than
			// the window; the rest is labelled so.
			res.Metrics.StageCPU, res.Metrics.ProcessCPU = nil, 0
			res.Metrics.FromStart = true
		}
		if res.Server.Source == "" && res.Metrics.ProcessCPU > 0 {
			res.Server.CPU, res.Server.Wall, res.Server.Source = res.Metrics.ProcessCPU, res.Window, "metrics"
			res.Server.PeakRSS = int64(res.Metrics.ProcessRSS)
		}
	} else {
		res.Metrics.Err = err
	}
	for i, p := range parts {
		r := p.result(stats[i], end, client.FreezeGapAt(cfg.Mixer.Video.FPS))
		if r.Joined {
			res.Joined++
		}
		res.Participants = append(res.Participants, r)
	}
	res.LeaveErrors = leaveAll(quiet, parts)
	if res.Joined == 0 {
		return res, ErrNoneJoined
	}
	if cfg.CostMedia > 0 && res.CostErr == nil && ctx.Err() == nil {
		// Measure again now that the server is idle: this machine's speed
		// drifts over minutes, and the ratio compares the run with the
		// mean of the two.
		fmt.Fprintf(out, "measuring the codec cost again after the run...\n")
		after, err := measureCost(quiet)
		if err == nil {
			res.CostBefore = res.Cost.Cores()
			res.CostAfter = after.Cores()
			res.Cost = res.Cost.Mean(after)
		}
	}
	return res, nil
}

// settle is how long after the last join the measured window starts: the
// last peer connects and gets its keyframe.
const settle = 2 * time.Second

// mark is what the server, the machine and this process had used at one
// moment, with the server's metrics and room counters: the summary's
// figures are differences between two marks.
type mark struct {
	at                           time.Time
	server, machine, steal, self time.Duration
	serverErr, machineErr        error
	scrape                       *Scrape // taken at the mark when fresh, else the mark before's (or the run's first)
	roomStale                    bool    // the room could not be read: room is the mark before's
	fresh                        bool
	room                         apiRoom
}

// lockedWriter serializes writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// participant is one simulated person during the run.
type participant struct {
	name    string
	clip    Clip
	check   *pictureCheck // decoders only; touched by the sampling loop
	lose    int           // lossy ones: every lose-th packet of the mix is lost
	link    int           // capped ones: the bit/s of their link for the mix's video
	h264    bool          // takes the mix in H.264
	c       *client.Client
	joinErr error
	joined  time.Time // when Connect returned (the client's own join time is a little earlier)
}

// result is what p received, from its client's stats st taken at end;
// freezeGap is the gap a freeze is.
func (p *participant) result(st client.Stats, end time.Time, freezeGap time.Duration) ParticipantResult {
	r := ParticipantResult{Name: p.name, Clip: p.clip, JoinErr: p.joinErr, Check: p.check}
	if p.c == nil {
		return r
	}
	r.Joined, r.SendErr = true, p.c.Err()
	r.Frames, r.Freezes, r.Keyframes, r.Bytes, r.FirstFrame = st.Frames, st.Freezes, st.Keyframes, st.Bytes, st.FirstFrame
	r.WholeFrames = st.WholeFrames
	if st.Frames > 0 {
		r.FPS = runFPS(st.Frames, st.First, end)
		r.Freezes += openFreeze(st.LastFrame, end, freezeGap)
	}
	r.Active, r.Codec = end.Sub(p.joined), p.c.VideoCodec()
	return r
}

// leaveAll makes the participants that joined leave cleanly, all at once
// (each Close waits for its goroutines), within 15 s, and returns the
// failures.
func leaveAll(ctx context.Context, parts []*participant) []error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var leaves sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, p := range parts {
		if p.c == nil {
			continue
		}
		leaves.Go(func() {
			if err := p.c.Leave(ctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", p.name, err))
				mu.Unlock()
			}
		})
	}
	leaves.Wait()
	return errs
}

// lossyEvery: a lossy participant loses every fourth packet of the mix
// (25 %, well over the 10 % at which the server lowers the mix).
const lossyEvery = 4

// scrape reads the server's /metrics.
func scrape(ctx context.Context, base string) (*Scrape, error) {
	var sc *Scrape
	err := get(ctx, base, "/metrics", "", 16<<20, func(body io.Reader) (err error) {
		sc, err = ParseMetrics(body)
		return err
	})
	return sc, err
}

// get fetches base+path within 5 s and hands read at most max bytes of the
// body; an answer other than 200 is a *statusError.
func get(ctx context.Context, base, path, token string, max int64, read func(io.Reader) error) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &statusError{path, resp.Status}
	}
	return read(io.LimitReader(resp.Body, max))
}

// openFreeze is 1 when a receiver's last picture came more than a freeze
// (gap) before the run's end: a stream that stopped (a server that died,
// a connection lost) gets no next picture to end the gap, which the
// client counts at.
func openFreeze(last, end time.Time, gap time.Duration) int {
	if end.Sub(last) > gap {
		return 1
	}
	return 0
}

// apiRoom is the part of GET /api/rooms/{room} the load reads.
type apiRoom struct {
	Participants []struct{} `json:"participants"`
	Viewers      int        `json:"viewers"`
	Layout       string     `json:"layout"`
	Recording    *struct{}  `json:"recording"`
	Mixer        RoomMixer  `json:"mixer"`
}

// RoomMixer is the room's own mixer counters (GET /api/rooms/{room}),
// over the run.
type RoomMixer struct {
	Participants int `json:"-"` // in the room at the end (as the server sees it)
	Viewers      int `json:"-"` // WHEP viewers in it at the end
	// Layout is the room's layout ("changed" when it differed at the two
	// reads); Recording: the room was recorded at either read.
	Layout    string `json:"-"`
	Recording bool   `json:"-"`
	Frames    uint64 `json:"frames"`
	Keyframes uint64 `json:"keyframes"`
	LateTicks uint64 `json:"late_ticks"`
	Dropped   uint64 `json:"dropped_frames"`
	// H264Frames and H264Dropped are the composites encoded in H.264,
	// and those not encoded for want of time (its encoder still busy).
	H264Frames  uint64 `json:"h264_frames"`
	H264Dropped uint64 `json:"h264_dropped"`
	// H264Size is the size the H.264 mix is encoded at, at the end, while
	// there are H.264 receivers: less than the canvas for a level.
	H264Size string `json:"h264_size"`
	// Speed is the encoder's libvpx speed at the end, SpeedChanges its
	// steps (faster while the server was short of CPU, and back).
	Speed        int    `json:"speed"`
	SpeedChanges uint64 `json:"speed_changes"`
	// Bitrate and MaxBitrate are the mix's bitrate at the end, and the most
	// it uses (lower while a receiver reports heavy loss).
	Bitrate    int `json:"bitrate"`
	MaxBitrate int `json:"max_bitrate"`
	// The composite's size and rate, and the most voices in a mix: the
	// room's settings.
	Width  int `json:"width"`
	Height int `json:"height"`
	FPS    int `json:"fps"`
	Voices int `json:"voices"`
}

// sub is the counters since earlier, with the bitrates as they are now.
func (m RoomMixer) sub(earlier RoomMixer) RoomMixer {
	if earlier.Frames > m.Frames { // another room of that name since
		return m
	}
	layout := m.Layout
	if earlier.Layout != "" && earlier.Layout != m.Layout {
		layout = "changed"
	}
	return RoomMixer{Layout: layout, Recording: m.Recording || earlier.Recording, Frames: m.Frames - earlier.Frames, Keyframes: m.Keyframes - earlier.Keyframes,
		LateTicks: m.LateTicks - earlier.LateTicks, Dropped: m.Dropped - earlier.Dropped,
		H264Frames: m.H264Frames - earlier.H264Frames, H264Dropped: m.H264Dropped - earlier.H264Dropped, H264Size: m.H264Size,
		Speed: m.Speed, SpeedChanges: m.SpeedChanges - earlier.SpeedChanges, Bitrate: m.Bitrate, MaxBitrate: m.MaxBitrate, Width: m.Width, Height: m.Height, FPS: m.FPS, Voices: m.Voices}
}

// roomInfo reads the room's state from the API (zero, and an error, when
// it does not exist).
func roomInfo(ctx context.Context, base, room, token string) (apiRoom, error) {
	var r apiRoom
	err := get(ctx, base, "/api/rooms/"+url.PathEscape(room), token, 1<<20, func(body io.Reader) error {
		return json.NewDecoder(body).Decode(&r)
	})
	r.Mixer.Layout, r.Mixer.Recording = r.Layout, r.Recording != nil
	return r, err
}

// statusError is a request that got an answer, but not what it asked for.
type statusError struct{ path, status string }

func (e *statusError) Error() string { return "GET " + e.path + ": " + e.status }

// serverProcess finds the server's process: cfg.PID, or the local process
// listening on the URL's port when the URL names this machine.
func serverProcess(cfg Config) (*Process, error) {
	if cfg.PID > 0 {
		p := NewProcess(cfg.ProcRoot, cfg.PID)
		if _, err := p.CPU(); err != nil {
			return nil, fmt.Errorf("loadtest: pid %d: %w", cfg.PID, err)
		}
		return p, nil
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	if !isLocal(u.Hostname()) {
		return nil, fmt.Errorf("loadtest: %s is not this machine (use -pid if it is)", u.Hostname())
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return nil, err
	}
	pid, err := FindListener(cfg.ProcRoot, n)
	if err != nil {
		return nil, err
	}
	return NewProcess(cfg.ProcRoot, pid), nil
}

// isLocal reports whether host is this machine: localhost, a loopback
// address or one of the interfaces' addresses.
func isLocal(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return false
		}
		ip = ips[0]
	}
	if ip.IsLoopback() || ip.IsUnspecified() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// minReport is the least time a progress line covers. A tool held up
// (a machine out of CPU) reads a tick late, and the next one at once: the
// rates of the microseconds between them would read thousands of frames
// a second. That tick is skipped, and the next line covers its time (the
// steady mark, taken at a tick, comes up to a second later then).
const minReport = time.Second / 2

// reportDue reports whether a progress line is due at now, the last one
// having been sampled at last.
func reportDue(last, now time.Time) bool { return now.Sub(last) >= minReport }
