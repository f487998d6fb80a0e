package server

import (
	"cmp"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"mcu/mixer"
	"mcu/room"
)

// Metrics are mcu's Prometheus metrics. They implement room.Observer, so
// rooms report into them as things happen, and collect the room and
// session counts from the manager at scrape time.
type Metrics struct {
	registry  *prometheus.Registry
	rooms     func() (rooms, participants, viewers int)
	lowered   func() int
	spedUp    func() int
	h264      func() int
	overload  func() (refusing bool, refused, behind uint64)
	restarts  func() uint64
	recording func() int
	webhook   func() (delivered, failed, dropped uint64) // nil: no webhook

	roomsDesc, participantsDesc, viewersDesc, loweredDesc *prometheus.Desc
	spedUpDesc                                            *prometheus.Desc
	overloadedDesc, refusedDesc, behindDesc               *prometheus.Desc
	restartsDesc, h264Desc, recordingsDesc                *prometheus.Desc
	webhookDesc                                           *prometheus.Desc

	tick, encode, latency prometheus.Histogram
	lateTicks, dropped    prometheus.Counter
	keyframes             *prometheus.CounterVec
	speedChanges          *prometheus.CounterVec
	pliSent, pliReceived  prometheus.Counter
	bytesIn, bytesOut     prometheus.Counter
	audioInput            *prometheus.CounterVec
	recordingsEnded       *prometheus.CounterVec
	recordingsRefused     prometheus.Counter
	joined, left          *prometheus.CounterVec
	cpuVec                *prometheus.CounterVec
	cpu                   []prometheus.Counter // cpuVec's by mixer.Stage, looked up once
}

// NewMetrics creates the metrics (with the Go runtime and process
// collectors) in their own registry.
func NewMetrics() *Metrics {
	ms := func(name, help string, buckets ...float64) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &Metrics{
		registry:         prometheus.NewRegistry(),
		rooms:            func() (int, int, int) { return 0, 0, 0 },
		lowered:          func() int { return 0 },
		spedUp:           func() int { return 0 },
		h264:             func() int { return 0 },
		recording:        func() int { return 0 },
		roomsDesc:        prometheus.NewDesc("mcu_rooms", "Open rooms.", nil, nil),
		participantsDesc: prometheus.NewDesc("mcu_participants", "Sessions shown in a mix (participants and WHIP publishers).", nil, nil),
		viewersDesc:      prometheus.NewDesc("mcu_viewers", "WHEP viewers.", nil, nil),
		loweredDesc: prometheus.NewDesc("mcu_rooms_bitrate_lowered",
			"Rooms whose mix is encoded below the configured bitrate because a receiver reports heavy loss.", nil, nil),
		spedUpDesc: prometheus.NewDesc("mcu_rooms_encoder_sped_up",
			"Rooms whose encoder runs at a faster libvpx speed than -speed (less quality) because its pictures took too long for the frame rate: the server short of CPU.", nil, nil),
		overloadedDesc: prometheus.NewDesc("mcu_overloaded",
			"1 while joins of senders and new rooms are refused (503) because the server fell behind its media within -overload-hold.", nil, nil),
		refusedDesc: prometheus.NewDesc("mcu_joins_refused_overload_total",
			"Joins refused (503) because the server fell behind its media within -overload-hold.", nil, nil),
		behindDesc: prometheus.NewDesc("mcu_video_frames_behind_total",
			"Frames of participants' video dropped undecoded because their decoder fell over 500 ms behind (the server short of CPU): up to a keyframe, or, of a sender with temporal layers, those above its base layer that would have been decoded (the others wait for their layer's next sync frame anyway).", nil, nil),
		h264Desc: prometheus.NewDesc("mcu_h264_receivers",
			"Sessions receiving the mix in H.264, their offer taking no VP8: each room with any encodes its canvas twice.", nil, nil),
		recordingsDesc: prometheus.NewDesc("mcu_recordings", "Rooms recording now.", nil, nil),
		webhookDesc: prometheus.NewDesc("mcu_webhook_events_total",
			"Room events for -webhook, by what became of them: delivered (a 2xx), failed (given up after their tries), dropped (the queue full).", []string{"result"}, nil),
		restartsDesc: prometheus.NewDesc("mcu_ice_restarts_total",
			"ICE restarts of sessions (PATCH with If-Match: *): clients whose network changed, kept in their rooms.", nil, nil),
		// A tick whose tiles come scaled takes tens of microseconds, one
		// that scales a few tenths of a millisecond.
		tick: ms("mcu_mixer_tick_seconds", "Time a video tick takes to bring the canvas up to date.",
			0.000025, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.033, 0.066, 0.15, 0.5),
		encode: ms("mcu_encode_seconds", "Time to encode one composite picture.",
			0.002, 0.004, 0.008, 0.012, 0.016, 0.024, 0.033, 0.05, 0.1, 0.2, 0.5),
		latency: ms("mcu_added_latency_seconds", "From a picture's arrival to the first packet of the composite that shows it.",
			0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15, 0.25, 0.5),
		lateTicks: counter("mcu_late_ticks_total", "Video ticks skipped because a mixer was late."),
		dropped:   counter("mcu_dropped_frames_total", "Video ticks skipped, nothing composed, because the encoder was still busy with the pictures before."),
		keyframes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcu_keyframes_total",
			Help: "Keyframes encoded (of the VP8 mix and of the H.264 one), forced on request or periodic."}, []string{"reason"}),
		speedChanges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcu_encoder_speed_changes_total",
			Help: "Steps of the rooms' encoders to a faster libvpx speed while their pictures took too long for the frame rate (faster), and back towards -speed once they had time again (slower)."}, []string{"direction"}),
		pliSent:     counter("mcu_pli_sent_total", "Keyframe requests sent to participants."),
		pliReceived: counter("mcu_pli_received_total", "Keyframe requests (PLI/FIR) received from receivers."),
		bytesIn:     counter("mcu_bytes_in_total", "RTP payload bytes received: every packet read, retransmissions of lost packets too."),
		bytesOut:    counter("mcu_bytes_out_total", "RTP payload bytes sent, once per packet and receiver: retransmissions (NACK) are not counted."),
		audioInput: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcu_audio_input_events_total",
			Help: "Participants' audio on its way to the mixer: packets that came reordered but in time, gaps given up and made up for (FEC or concealment), packets too late or duplicated."}, []string{"event"}),
		cpuVec: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcu_cpu_seconds_total",
			Help: "CPU time of the rooms' media work by stage, measured on the threads doing it: video_decode (decoding and scaling participants' video), audio_decode (their audio through the jitter buffer and Opus decoder), compose, video_encode (the VP8 mix), audio_mix (mixing and Opus encoding), h264_encode (the H.264 mix, while anyone takes it). Sending is not in them: the process's CPU time minus their sum is the rest (network, RTP, the Go runtime)."},
			[]string{"stage"}),
		recordingsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcu_recordings_ended_total",
			Help: "Recordings ended, by how: complete (stopped and finalized), low_disk (stopped taking the mix when the disk got down to -record-min-free, finalized with what it had), failed (a write or the finalizing failed: the file keeps what was written before), empty (stopped before any frame: no file)."},
			[]string{"result"}),
		joined: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcu_sessions_joined_total",
			Help: "Sessions that joined a room, by kind: participant (join), publisher (WHIP), viewer (WHEP)."}, []string{"kind"}),
		left: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mcu_sessions_left_total",
			Help: "Sessions that left their room, by kind and why: left (their client's DELETE), disconnected (their connection failed or closed, or an ICE restart failed), ended (the server stopping, or the room's mixer failing), never_connected (ICE or DTLS never completed: often UDP blocked, or a wrong -nat1to1-ip), owner_left (a share whose owner left), removed (the room's moderator removed it)."},
			[]string{"kind", "reason"}),
		recordingsRefused: counter("mcu_recordings_refused_total", "Recording starts that made no recording: the disk under -record-min-free, the file not created, or too many begun in one second."),
		cpu:               make([]prometheus.Counter, len(mixer.Stages)),
	}
	for _, st := range mixer.Stages {
		m.cpu[st] = m.cpuVec.WithLabelValues(st.String()) // exported from zero
	}
	for _, reason := range []string{"forced", "periodic"} {
		m.keyframes.WithLabelValues(reason) // exported from zero
	}
	for _, dir := range []string{"faster", "slower"} {
		m.speedChanges.WithLabelValues(dir) // exported from zero
	}
	for _, ev := range room.AudioEvents {
		m.audioInput.WithLabelValues(ev.String()) // exported from zero
	}
	for _, ev := range room.RecordingEnds {
		m.recordingsEnded.WithLabelValues(ev.String()) // exported from zero
	}
	for _, kind := range room.Kinds {
		m.joined.WithLabelValues(kind.String()) // exported from zero
		for _, why := range room.LeftReasons {
			m.left.WithLabelValues(kind.String(), why)
		}
	}
	m.registry.MustRegister(buildInfo())
	m.registry.MustRegister(m, m.tick, m.encode, m.latency, m.lateTicks, m.dropped, m.keyframes, m.speedChanges, m.pliSent, m.pliReceived,
		m.bytesIn, m.bytesOut, m.audioInput, m.recordingsEnded, m.recordingsRefused, m.joined, m.left, m.cpuVec, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// CountRooms makes the room gauges read from the manager.
func (m *Metrics) CountRooms(rooms *room.Manager) {
	m.rooms, m.lowered, m.h264, m.overload, m.restarts = rooms.Counts, rooms.Lowered, rooms.H264Receivers, rooms.Overload, rooms.ICERestarts
	m.spedUp, m.recording = rooms.SpedUp, rooms.Recordings
}

// CountWebhook makes mcu_webhook_events_total read from counts (a
// webhook.Sender's); without it the metric is not exported.
func (m *Metrics) CountWebhook(counts func() (delivered, failed, dropped uint64)) { m.webhook = counts }

// Describe implements prometheus.Collector for the gauges.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.roomsDesc
	ch <- m.participantsDesc
	ch <- m.viewersDesc
	ch <- m.loweredDesc
	ch <- m.spedUpDesc
	ch <- m.h264Desc
	ch <- m.overloadedDesc
	ch <- m.refusedDesc
	ch <- m.behindDesc
	ch <- m.restartsDesc
	ch <- m.recordingsDesc
	ch <- m.webhookDesc
}

// Collect implements prometheus.Collector for the gauges.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	r, p, v := m.rooms()
	ch <- prometheus.MustNewConstMetric(m.roomsDesc, prometheus.GaugeValue, float64(r))
	ch <- prometheus.MustNewConstMetric(m.participantsDesc, prometheus.GaugeValue, float64(p))
	ch <- prometheus.MustNewConstMetric(m.viewersDesc, prometheus.GaugeValue, float64(v))
	ch <- prometheus.MustNewConstMetric(m.loweredDesc, prometheus.GaugeValue, float64(m.lowered()))
	ch <- prometheus.MustNewConstMetric(m.spedUpDesc, prometheus.GaugeValue, float64(m.spedUp()))
	ch <- prometheus.MustNewConstMetric(m.h264Desc, prometheus.GaugeValue, float64(m.h264()))
	ch <- prometheus.MustNewConstMetric(m.recordingsDesc, prometheus.GaugeValue, float64(m.recording()))
	if m.webhook != nil {
		delivered, failed, dropped := m.webhook()
		ch <- prometheus.MustNewConstMetric(m.webhookDesc, prometheus.CounterValue, float64(delivered), "delivered")
		ch <- prometheus.MustNewConstMetric(m.webhookDesc, prometheus.CounterValue, float64(failed), "failed")
		ch <- prometheus.MustNewConstMetric(m.webhookDesc, prometheus.CounterValue, float64(dropped), "dropped")
	}
	if m.overload == nil { // no manager counted: nothing to tell
		return
	}
	refusing, refused, behind := m.overload()
	overloaded := 0.0
	if refusing {
		overloaded = 1
	}
	ch <- prometheus.MustNewConstMetric(m.overloadedDesc, prometheus.GaugeValue, overloaded)
	ch <- prometheus.MustNewConstMetric(m.refusedDesc, prometheus.CounterValue, float64(refused))
	ch <- prometheus.MustNewConstMetric(m.behindDesc, prometheus.CounterValue, float64(behind))
	ch <- prometheus.MustNewConstMetric(m.restartsDesc, prometheus.CounterValue, float64(m.restarts()))
}

// The room.Observer methods.

func (m *Metrics) Compose(d time.Duration) { m.tick.Observe(d.Seconds()) }
func (m *Metrics) Encode(d time.Duration)  { m.encode.Observe(d.Seconds()) }
func (m *Metrics) Latency(d time.Duration) { m.latency.Observe(d.Seconds()) }
func (m *Metrics) LateTicks(n int)         { m.lateTicks.Add(float64(n)) }
func (m *Metrics) Dropped(bool)            { m.dropped.Inc() }
func (m *Metrics) EncoderSpeed(faster bool) {
	dir := "slower"
	if faster {
		dir = "faster"
	}
	m.speedChanges.WithLabelValues(dir).Inc()
}
func (m *Metrics) Keyframe(forced bool) {
	reason := "periodic"
	if forced {
		reason = "forced"
	}
	m.keyframes.WithLabelValues(reason).Inc()
}
func (m *Metrics) PLISent()       { m.pliSent.Inc() }
func (m *Metrics) PLIReceived()   { m.pliReceived.Inc() }
func (m *Metrics) BytesIn(n int)  { m.bytesIn.Add(float64(n)) }
func (m *Metrics) BytesOut(n int) { m.bytesOut.Add(float64(n)) }
func (m *Metrics) AudioInput(ev room.AudioEvent) {
	m.audioInput.WithLabelValues(ev.String()).Inc()
}
func (m *Metrics) Recording(ev room.RecordingEvent) {
	if ev == room.RecordingRefused {
		m.recordingsRefused.Inc()
		return
	}
	m.recordingsEnded.WithLabelValues(ev.String()).Inc()
}
func (m *Metrics) Joined(kind room.Kind)           { m.joined.WithLabelValues(kind.String()).Inc() }
func (m *Metrics) Left(kind room.Kind, why string) { m.left.WithLabelValues(kind.String(), why).Inc() }
func (m *Metrics) CPU(stage mixer.Stage, d time.Duration) {
	if stage >= 0 && int(stage) < len(m.cpu) {
		m.cpu[stage].Add(d.Seconds())
	}
}

var _ room.Observer = (*Metrics)(nil)

// buildInfo is mcu_build_info, 1, labelled with the commit the binary was
// built from: after an upgrade, which servers run which build (and
// changes(mcu_build_info) in an alert, a restart with a new one).
func buildInfo() prometheus.Collector {
	bi, _ := debug.ReadBuildInfo()
	revision, modified, goVersion := buildLabels(bi)
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mcu_build_info",
		Help: "1, labelled with the build: the commit (vcs.revision), whether the tree had changes (vcs.modified), the Go version."},
		[]string{"revision", "modified", "goversion"})
	g.WithLabelValues(revision, modified, goVersion).Set(1)
	return g
}

// buildLabels reads mcu_build_info's labels from a binary's build
// information (nil: none), "unknown" for what it does not say: a build
// outside a Git checkout, or with -buildvcs=false, says no commit.
func buildLabels(bi *debug.BuildInfo) (revision, modified, goVersion string) {
	revision, modified, goVersion = "unknown", "unknown", "unknown"
	if bi == nil {
		return
	}
	goVersion = cmp.Or(bi.GoVersion, goVersion)
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	return
}
