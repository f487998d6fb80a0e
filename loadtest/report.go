package loadtest

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"time"

	"mcu/client"
	"mcu/codec"
)

// Result is everything a run measured.
type Result struct {
	Config  Config
	Clips   []Clip // per participant
	Elapsed time.Duration
	// Window is what the server's, the machine's and the load tool's CPU,
	// the metrics and the room's counters cover: from a moment after the
	// last join to the end when Steady, the whole run otherwise (too short
	// to wait for everyone).
	Window      time.Duration
	Steady      bool
	Interrupted bool // stopped early (Ctrl-C)
	Joined      int

	Seconds      []Second
	Participants []ParticipantResult
	LeaveErrors  []error

	Server  ServerUsage
	Metrics MetricsReport
	// Room is the room's mixer over the run, from the API.
	Room    RoomMixer
	RoomErr error
	// RoomStale: the room could not be read at the window's start, so its
	// counters are left out (its participants at the end are known).
	RoomStale bool
	// Cost is the codec cost: the mean of a measurement before the run and
	// one after it, whose totals (cores) are CostBefore and CostAfter (zero
	// when only the first was made).
	Cost                  CodecCost
	CostErr               error
	CostBefore, CostAfter float64
	// SelfCPU is the load generator's own CPU time during the run (every
	// participant's sending, receiving and decoding, and this loop).
	SelfCPU time.Duration
	// MachineCPU is the CPU time every process of this machine used during
	// the run (from /proc/stat): what is neither the server nor the load
	// tool competed with them.
	MachineCPU time.Duration
	// MachineCPUs is how many CPUs MachineCPU is of (0: not known).
	MachineCPUs int
	// Steal is the time the hypervisor ran something else while this
	// (virtual) machine wanted to run: it slows everything down, but no
	// process here used it.
	Steal time.Duration
}

// ParticipantResult is one participant at the end of the run.
type ParticipantResult struct {
	Name    string
	Clip    Clip
	Joined  bool
	JoinErr error
	// SendErr is why it stopped sending during the run (a clip that
	// cannot be read on), or nil.
	SendErr error
	// Active is the time from the join to the end of the run.
	Active time.Duration
	// FirstFrame is from posting the join's offer to the first complete
	// picture of the mix (0: none came).
	FirstFrame                 time.Duration
	Frames, Freezes, Keyframes int
	// WholeFrames are the pictures of Frames that came whole (every
	// packet, resends too): a picture with a packet lost cannot be shown.
	WholeFrames int
	Bytes       int64
	// FPS is the rate from its first picture to the end of the run.
	FPS   float64
	Check *pictureCheck // decoders only
	// Codec is the format the mix came in (0 before any came).
	Codec codec.VideoCodec
}

// ServerUsage is the server process's CPU and memory during the run.
type ServerUsage struct {
	PID       int
	Name      string // the process's command name, from /proc
	InProcess bool   // the server runs inside this process (tests)
	Source    string // "/proc", "metrics" (its process_* series), or "" (not measured)
	CPU       time.Duration
	Wall      time.Duration
	// PeakRSS is the highest resident memory seen during the run (sampled
	// every second); LifetimePeakRSS the kernel's high-water mark since the
	// process started (/proc only).
	PeakRSS, LifetimePeakRSS int64
	Err                      error // why /proc could not be used
}

// window is the span the server's, the machine's and the load tool's CPU,
// the metrics and the room's counters cover.
func (r *Result) window() time.Duration {
	if r.Window > 0 {
		return r.Window
	}
	return r.Elapsed
}

// windowText says what window is.
func (r *Result) windowText() string {
	w := r.window().Round(100 * time.Millisecond)
	if r.Steady {
		return fmt.Sprintf("the last %v of the run, from %v or more after the last join", w, settle)
	}
	return fmt.Sprintf("the whole run of %v, joins included", w)
}

// Cores is the CPU time per wall-clock second.
func (s ServerUsage) Cores() float64 {
	if s.Wall <= 0 {
		return math.NaN()
	}
	return s.CPU.Seconds() / s.Wall.Seconds()
}

// MetricsReport is the server's /metrics over the run.
type MetricsReport struct {
	MetricsDelta
	Found bool  // both scrapes worked
	Err   error // of the end scrape
	// FromStart: the scrape at the window's start failed, so the figures
	// cover the run from its first scrape, joins included.
	FromStart bool
}

// Ratio is server CPU (cores) / codec cost (cores). It is NaN when either
// is unknown, when the server did not have all N decoding all the while
// (not every participant joined, one stopped sending, the room held
// another number at the end, or the server asked a participant for a
// keyframe, or may have, its counts covering the joins too: the codec
// cost is that of all N), when -lossy lowered the
// mix's bitrate, when the server runs inside the load tool, when the
// window includes the joins (the run was too short to measure from settle
// after the last one), and when the server's CPU comes from its metrics
// rather than from /proc (it may run on another machine than the codec
// cost's).
func (r *Result) Ratio() float64 {
	if !r.measured() || r.noRatio() != "" {
		return math.NaN()
	}
	return r.Server.Cores() / r.Cost.Cores()
}

// measured reports whether both sides of Ratio were measured.
func (r *Result) measured() bool {
	return r.CostErr == nil && r.Cost.Cores() > 0 && r.Server.Source != ""
}

// noRatio says why Ratio is NaN though both sides were measured, or "".
func (r *Result) noRatio() string {
	hc := costH264(r.Config.Mixer.Video) // what the codec cost encodes in H.264
	switch {
	case !r.measured():
		return ""
	case r.Joined < r.Config.N:
		return fmt.Sprintf("%d of %d participants joined, and the codec cost is that of %d", r.Joined, r.Config.N, r.Config.N)
	case r.Server.Source != "/proc":
		return "the server's CPU comes from its metrics, perhaps from another machine than the codec cost's"
	case !r.Steady:
		return "the run ended before all N were in for " + settle.String() + ", so its CPU includes the joins"
	case r.Server.InProcess:
		return "the server runs inside the load tool, and its CPU includes the load tool's"
	case r.noPicture() > 0:
		return fmt.Sprintf("%d participants never received a picture (their connection may never have come up), and the codec cost decodes all %d", r.noPicture(), r.Config.N)
	case r.stoppedSending() > 0:
		return fmt.Sprintf("%d participants stopped sending, and the codec cost is that of all %d", r.stoppedSending(), r.Config.N)
	case r.Config.Lossy > 0:
		return "-lossy lowers the mix's bitrate under the -bitrate the codec cost encodes at"
	case r.Config.Capped > 0:
		return "-capped may lower the mix's bitrate under the -bitrate the codec cost encodes at"
	case r.RoomErr != nil || r.RoomStale:
		return "the room could not be read over the window, so what it encoded (its settings, speed, voices, drops, bitrate) was not checked against the codec cost"
	case r.Room.Viewers > 0:
		return fmt.Sprintf("%d viewers watched the room, and the server sent the mix to them too", r.Room.Viewers)
	case r.Metrics.Found && (r.Metrics.Rooms > 1 || r.Metrics.Sessions > float64(r.Config.N) || r.Metrics.Viewers > 0):
		return fmt.Sprintf("the server held %.0f rooms, %.0f participants and %.0f viewers, and its CPU is theirs too: the codec cost is that of one room of %d",
			r.Metrics.Rooms, r.Metrics.Sessions, r.Metrics.Viewers, r.Config.N)
	case r.Room.Layout != "" && r.Room.Layout != r.Config.Mixer.Layout.String():
		return fmt.Sprintf("the room's layout is %s, the codec cost composes the %v one", r.Room.Layout, r.Config.Mixer.Layout)
	case r.Room.Recording:
		return "the room was recorded, which the codec cost does not count"
	case r.Config.H264 == 0 && r.Room.H264Frames > 0:
		return fmt.Sprintf("the room encoded %d pictures in H.264 (for a receiver other than the load's), which the codec cost does not count", r.Room.H264Frames)
	case r.Room.Width > 0 && (r.Room.Width != r.Config.Mixer.Video.Width || r.Room.Height != r.Config.Mixer.Video.Height ||
		r.Room.FPS != r.Config.Mixer.Video.FPS || r.Room.MaxBitrate != r.Config.Mixer.Video.Bitrate):
		vc := r.Config.Mixer.Video
		return fmt.Sprintf("the room mixes %dx%d at %d fps and %d bit/s, the codec cost %dx%d at %d fps and %d bit/s (give the load tool the server's settings)",
			r.Room.Width, r.Room.Height, r.Room.FPS, r.Room.MaxBitrate, vc.Width, vc.Height, vc.FPS, vc.Bitrate)
	case r.Room.Width > 0 && (r.Room.SpeedChanges > 0 || r.Room.Speed != 0 && r.Room.Speed != r.Config.Mixer.Video.Speed):
		// (An older server, whose JSON has no speed, reads 0: not held to -speed.)
		if r.Room.SpeedChanges > 0 {
			return fmt.Sprintf("the server's encoder changed its speed %d times in the window (short of CPU, it encodes faster than -speed %d), so it did other work than the codec cost",
				r.Room.SpeedChanges, r.Config.Mixer.Video.Speed)
		}
		return fmt.Sprintf("the room's encoder runs at speed %d, the codec cost at %d (give the load tool the server's -speed)", r.Room.Speed, r.Config.Mixer.Video.Speed)
	case r.Room.Width > 0 && r.Cost.AudioStreams > 0 && r.Cost.AudioStreams != 1+r.mixed(r.Room.Voices):
		return fmt.Sprintf("the room mixes %d voices, the codec cost %d (give the load tool the server's -voices)", r.mixed(r.Room.Voices), r.Cost.AudioStreams-1)
	case r.Config.H264 > 0 && r.Room.H264Size != "" && r.Room.H264Size != fmt.Sprintf("%dx%d", hc.Width, hc.Height):
		return fmt.Sprintf("the room encodes H.264 at %s, the codec cost at %dx%d, level %v's (a receiver of a lower level)", r.Room.H264Size, hc.Width, hc.Height, hc.Level)
	case r.Config.H264 > 0 && r.h264Receivers() < r.Config.H264:
		return fmt.Sprintf("%d of the %d participants asking for H.264 received it, and the codec cost counts its encode", r.h264Receivers(), r.Config.H264)
	case r.Config.H264 > 0 && r.Room.H264Dropped*100 > r.Room.H264Frames+r.Room.H264Dropped:
		return fmt.Sprintf("the server left %d of %d pictures unencoded in H.264 in the window (its encoder busy): it encoded less than the codec cost does",
			r.Room.H264Dropped, r.Room.H264Frames+r.Room.H264Dropped)
	case (r.Room.Dropped > 0 || r.Room.LateTicks > 0):
		return fmt.Sprintf("the server dropped %d pictures and was late for %d ticks in the window: it encoded less than the codec cost does", r.Room.Dropped, r.Room.LateTicks)
	case r.Room.MaxBitrate > 0 && r.Room.Bitrate < r.Room.MaxBitrate:
		return fmt.Sprintf("the mix ran at %d bit/s at the end, under the %d the codec cost encodes at (a receiver reported loss)", r.Room.Bitrate, r.Room.MaxBitrate)
	case r.Room.Participants != r.Config.N:
		return fmt.Sprintf("the room held %d participants at the end (a connection failed, or others are in it), and the codec cost is that of %d", r.Room.Participants, r.Config.N)
	case r.Metrics.Found && r.Metrics.PLISent > 0 && r.Metrics.FromStart:
		return fmt.Sprintf("the server asked participants for %.0f keyframes, which count the joins' too, so a lost packet cannot be told from them", r.Metrics.PLISent)
	case r.Metrics.Found && r.Metrics.PLISent > 0:
		return fmt.Sprintf("the server asked participants for %.0f keyframes: it lost their packets, and decoded nothing of theirs until a keyframe came", r.Metrics.PLISent)
	}
	return ""
}

// h264Receivers is how many participants received the mix in H.264.
func (r *Result) h264Receivers() int {
	n := 0
	for _, pr := range r.Participants {
		if pr.Joined && pr.Codec == codec.H264 {
			n++
		}
	}
	return n
}

// mixed is how many voices a room mixing at most voices (0: all) holds
// in this load: the participants whose clip has sound, each heard all
// along (as the codec cost takes them).
func (r *Result) mixed(voices int) int {
	n := 0
	for _, c := range r.Clips {
		if c.Audio != "" {
			n++
		}
	}
	if voices > 0 {
		n = min(n, voices)
	}
	return n
}

// noPicture counts the joined participants that received no picture.
func (r *Result) noPicture() int {
	n := 0
	for _, p := range r.Participants {
		if p.Joined && p.Frames == 0 {
			n++
		}
	}
	return n
}

// stoppedSending counts the participants whose sending failed.
func (r *Result) stoppedSending() int {
	n := 0
	for _, p := range r.Participants {
		if p.SendErr != nil {
			n++
		}
	}
	return n
}

// procDisagrees reports whether the CPU time /proc gave for the process
// taken for the server differs by more than a tenth from what the
// server's own metrics counted over the same window: then that process is
// probably not the server (a proxy in front of it).
func (r *Result) procDisagrees() bool {
	sv, m := r.Server, r.Metrics
	if sv.Source != "/proc" || sv.InProcess || !m.Found || m.ProcessCPU <= 0 {
		return false
	}
	// A tenth, or 50 ms: both count in clock ticks of 10 ms.
	return math.Abs(sv.CPU.Seconds()-m.ProcessCPU.Seconds()) > max(0.1*m.ProcessCPU.Seconds(), 0.05)
}

// String is the progress line.
func (s Second) String() string {
	return fmt.Sprintf("%5.0fs  joined %d/%d  fps mean %s min %s (%d receiving)  %s per receiver  freezes %d  cores: server %s load %s other %s",
		s.Elapsed.Seconds(), s.Joined, s.Wanted, num(s.FPSMean, 1), num(s.FPSMin, 1), s.Receivers,
		bitrate(s.BitrateMean), s.Freezes, num(s.ServerCores, 2), num(s.SelfCores, 2), num(s.OtherCores, 2))
}

// WriteSummary prints the end-of-run report.
func (r *Result) WriteSummary(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	cfg := r.Config
	how := "ran"
	if r.Interrupted {
		how = "interrupted after"
	}
	p("")
	h264 := ""
	if cfg.H264 > 0 {
		h264 = fmt.Sprintf(", %d asking for the mix in H.264, %d receiving it", cfg.H264, r.h264Receivers())
	}
	p("summary: %d/%d participants joined room %q at %s; %s %v (ramp %v, %d decoding%s)",
		r.Joined, cfg.N, cfg.Room, cfg.URL, how, r.Elapsed.Round(100*time.Millisecond), cfg.Ramp, min(cfg.Decoders, cfg.N), h264)
	var joinErrs []string
	var first, fps, whole []float64
	var freezes, frames, noPicture int
	var bytes int64
	var active time.Duration
	for _, pr := range r.Participants {
		if pr.JoinErr != nil {
			joinErrs = append(joinErrs, fmt.Sprintf("%s: %v", pr.Name, pr.JoinErr))
		}
		if pr.SendErr != nil {
			p("  %s stopped sending: %v", pr.Name, pr.SendErr)
		}
		if !pr.Joined {
			continue
		}
		if pr.Frames == 0 {
			noPicture++
		} else {
			first = append(first, pr.FirstFrame.Seconds())
		}
		fps = append(fps, pr.FPS)
		if pr.Frames > 0 {
			whole = append(whole, 100*float64(pr.WholeFrames)/float64(pr.Frames))
		}
		freezes += pr.Freezes
		frames += pr.Frames
		bytes += pr.Bytes
		active += pr.Active
	}
	for i, e := range joinErrs {
		if i == 3 {
			p("  ... and %d more join failures", len(joinErrs)-3)
			break
		}
		p("  join failed: %s", e)
	}
	f := spreadOf(first)
	line := fmt.Sprintf("join to first mixed frame: min %s  median %s  max %s", secs(f.Min), secs(f.Median), secs(f.Max))
	if noPicture > 0 {
		line += fmt.Sprintf("  (%d never got a picture)", noPicture)
	}
	p("%s", line)
	s := spreadOf(fps)
	kbps := math.NaN()
	if active > 0 {
		kbps = float64(bytes) * 8 / active.Seconds()
	}
	p("receiver fps over the run: min %s  median %s;  freezes (gaps > %v) %d;  %s per receiver",
		num(s.Min, 1), num(s.Median, 1), client.FreezeGapAt(r.Config.Mixer.Video.FPS), freezes, bitrate(kbps))
	// A picture counts above when any of its packets came; one that lost
	// a packet cannot be shown (its receiver's decoder waits for the next
	// keyframe): said apart, so that a lossy link does not pass for a good one.
	ws := spreadOf(whole)
	p("pictures that came whole (every packet): min %s %%  median %s %%", num(ws.Min, 1), num(ws.Median, 1))
	for _, pr := range r.Participants {
		if c := pr.Check; c != nil && pr.Joined {
			verdict := "ok"
			if !c.OK() {
				verdict = "NOT OK"
			}
			got := "none"
			if pr.Codec != 0 {
				got = pr.Codec.String()
			}
			p("decoded mix (%s) at %s: %dx%d (want %dx%d), changed in %d of %d seconds with a picture: %s",
				got, pr.Name, c.Width, c.Height, c.WantWidth, c.WantHeight, c.Changed, max(0, c.Pictures-1), verdict)
		}
	}

	sv := r.Server
	switch {
	case sv.Source != "":
		who := fmt.Sprintf("pid %d", sv.PID)
		if sv.Name != "" {
			who += ", " + sv.Name
		}
		if sv.Source == "metrics" {
			who = "from its process_* metrics"
		}
		line := fmt.Sprintf("server CPU (%s): %.2f cores (%.1f s CPU in %s)", who, sv.Cores(), sv.CPU.Seconds(), r.windowText())
		if sv.PeakRSS > 0 {
			line += ", peak RSS " + mib(sv.PeakRSS)
			if sv.Source == "metrics" {
				line += " (at the end)"
			}
		}
		if sv.LifetimePeakRSS > 0 {
			line += " (lifetime peak " + mib(sv.LifetimePeakRSS) + ")"
		}
		p("%s", line)
		if sv.InProcess {
			p("  (the server runs inside the load tool: its CPU includes the load tool's)")
		}
		if r.procDisagrees() {
			p("  WARNING: the server's own metrics count %.1f s of CPU over the same window: pid %d may not be the server (a proxy?); name it with -pid",
				r.Metrics.ProcessCPU.Seconds(), sv.PID)
		}
	default:
		p("server CPU: not measured (%v)", sv.Err)
	}

	m := r.Metrics
	if !m.Found {
		p("server metrics: not read (%v)", m.Err)
	} else {
		over := r.windowText()
		if m.FromStart {
			over = fmt.Sprintf("the whole run of %v, joins included (the scrape after the last join failed)", r.Elapsed.Round(time.Second))
		}
		p("server metrics over %s (whole server, every room):", over)
		p("  mixer tick     %s", percentiles(m.Tick))
		p("  encode         %s", percentiles(m.Encode))
		p("  added latency  %s", percentiles(m.Latency))
		p("  late ticks %.0f, keyframes %.0f forced + %.0f periodic, PLIs %.0f sent to participants / %.0f received",
			m.LateTicks, m.KeyframesForced, m.KeyframesPeriodic, m.PLISent, m.PLIReceived)
		if line := r.stagesText(); line != "" {
			p("  CPU by stage, cores: %s", line)
		}
	}

	switch {
	case r.RoomErr != nil:
		p("room %q: not read (%v)", cfg.Room, r.RoomErr)
	case r.RoomStale:
		p("room %q: %d participants seen by the server at the end; its mixer's counters left out (the room could not be read at the window's start)", cfg.Room, r.Room.Participants)
	default:
		h264 := ""
		if cfg.H264 > 0 || r.Room.H264Frames > 0 {
			h264 = fmt.Sprintf(", %d in H.264 (%d not, its encoder busy)", r.Room.H264Frames, r.Room.H264Dropped)
		}
		p("room %q: %d participants seen by the server at the end; mixer %d frames (%.1f fps)%s, %d keyframes, %d late ticks, %d pictures dropped (encoder busy); the mix's target bitrate %d of %d kbit/s at the end; encoder speed %d at the end, %d changes (short of CPU)",
			cfg.Room, r.Room.Participants, r.Room.Frames, float64(r.Room.Frames)/max(r.window().Seconds(), 1e-9), h264,
			r.Room.Keyframes, r.Room.LateTicks, r.Room.Dropped, r.Room.Bitrate/1000, r.Room.MaxBitrate/1000, r.Room.Speed, r.Room.SpeedChanges)
	}

	switch c := r.Cost; {
	case cfg.CostMedia == 0:
		p("codec cost: not measured (-cost 0)")
	case r.CostErr != nil:
		p("codec cost: not measured (%v)", r.CostErr)
	default:
		var dv, da time.Duration
		for i := range c.DecodeVideo {
			dv += c.DecodeVideo[i]
			da += c.DecodeAudio[i]
		}
		vc := cfg.Mixer.Video
		if r.CostAfter > 0 {
			p("codec cost (measured here before and after the run, %v of media each; mean): %.3f cores (%.3f before, %.3f after)",
				c.Media, c.Cores(), r.CostBefore, r.CostAfter)
		} else {
			p("codec cost (measured here before the run, %v of media): %.3f cores", c.Media, c.Cores())
		}
		h264 := ""
		if c.EncodeH264 > 0 {
			h264 = fmt.Sprintf(" + H.264 %.3f", c.EncodeH264.Seconds())
		}
		p("  decode %d participants: video %.3f + Opus %.3f;  encode VP8 %dx%d@%d: %.3f%s;  encode Opus x%d: %.3f",
			len(c.DecodeVideo), dv.Seconds(), da.Seconds(), vc.Width, vc.Height, vc.FPS, c.EncodeVideo.Seconds(), h264,
			c.AudioStreams, c.EncodeAudio.Seconds())
		if ratio := r.Ratio(); !math.IsNaN(ratio) {
			line := fmt.Sprintf("server CPU / codec cost: %.2f", ratio)
			if media, ok := r.stagesCores(); ok {
				line += fmt.Sprintf(" = the media stages %.2f + the rest %.2f", media/c.Cores(), (r.Server.Cores()-media)/c.Cores())
			}
			p("%s", line)
		} else if why := r.noRatio(); why != "" {
			p("server CPU / codec cost: not given: %s", why)
		}
	}
	if wall := r.window().Seconds(); wall > 0 {
		p("load tool CPU: %.2f cores (%.1f s in %.1f s)", r.SelfCPU.Seconds()/wall, r.SelfCPU.Seconds(), wall)
		if r.MachineCPU > 0 {
			others := r.MachineCPU - r.SelfCPU
			if sv.Source == "/proc" && !sv.InProcess {
				others -= sv.CPU
			}
			p("machine: %.2f of %d cores busy, %.2f of them other processes than the server and the load tool; %.2f cores stolen by the hypervisor",
				r.MachineCPU.Seconds()/wall, cmp.Or(r.MachineCPUs, runtime.NumCPU()), max(0, others.Seconds())/wall, r.Steal.Seconds()/wall)
		}
	}
	for i, e := range r.LeaveErrors {
		if i == 3 {
			p("  ... and %d more leave errors", len(r.LeaveErrors)-3)
			break
		}
		p("leave: %v", e)
	}
}

// percentiles formats a latency histogram in milliseconds.
func percentiles(h Histogram) string {
	if h.Count <= 0 {
		return "no observations"
	}
	top := h.MaxBucket()
	maxs := "≤" + ms(top)
	if math.IsInf(top, 1) {
		maxs = "-" // above every finite bound, and there is none
		if n := len(h.Bounds); n >= 2 {
			maxs = ">" + ms(h.Bounds[n-2])
		}
	}
	q := func(q float64) string {
		if n := len(h.Cumulative); n >= 2 && q*h.Cumulative[n-1] > h.Cumulative[n-2] {
			return ">" + ms(h.Bounds[n-2]) // in the +Inf bucket
		}
		return ms(h.Quantile(q))
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s  (n %.0f, mean %s)",
		q(0.5), q(0.9), q(0.99), maxs, h.Count, ms(h.Mean()))
}

func ms(sec float64) string {
	if math.IsNaN(sec) {
		return "-"
	}
	v := sec * 1000
	if v < 10 {
		return fmt.Sprintf("%.2fms", v)
	}
	return fmt.Sprintf("%.1fms", v)
}

func secs(sec float64) string {
	if math.IsNaN(sec) {
		return "-"
	}
	return time.Duration(sec * float64(time.Second)).Round(time.Millisecond).String()
}

func num(v float64, prec int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

func bitrate(bps float64) string {
	if math.IsNaN(bps) {
		return "- kbit/s"
	}
	return fmt.Sprintf("%.0f kbit/s", bps/1000)
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// stagesText is the server's CPU by stage (mcu_cpu_seconds_total) in cores
// over the window, and what the rest of the server's CPU was; empty when
// the server does not export them.
func (r *Result) stagesText() string {
	m := r.Metrics
	wall := r.window().Seconds()
	if len(m.StageCPU) == 0 || wall <= 0 {
		return ""
	}
	var parts []string
	for _, st := range stages {
		if v, ok := m.StageCPU[st.label]; ok {
			parts = append(parts, fmt.Sprintf("%s %.3f", st.name, v.Seconds()/wall))
		}
	}
	line := strings.Join(parts, ", ")
	if media, ok := r.stagesCores(); ok {
		line += fmt.Sprintf("; the rest %.3f (network, RTP, the Go runtime)", r.Server.Cores()-media)
	}
	return line
}

// stagesCores is the server's CPU in the media stages over the window, in
// cores, when both it and the server's whole CPU are known (and the server
// is not this process, whose CPU includes the load's).
func (r *Result) stagesCores() (float64, bool) {
	wall := r.window().Seconds()
	if len(r.Metrics.StageCPU) == 0 || wall <= 0 || r.Server.Source == "" || r.Server.InProcess {
		return 0, false
	}
	return r.Metrics.StagesCPU().Seconds() / wall, true
}
