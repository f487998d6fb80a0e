package server_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"mcu/client"
	"mcu/codec"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/room"
)

// TestLiveLipSync: a participant whose picture flashes white and whose
// sound beeps at the same instants, about once a second; a viewer (the
// full mix) and another participant (their mix-minus, which holds the
// first one's sound) each take the mix as a browser plays it: the RTP
// times of the picture and of the sound, each put on the wall clock by the
// server's sender reports of its track. For each receiver, at least 4
// flashes of the sender's tile are found with their beeps, and each
// flash's sound (but for a few strays, below) comes within lip sync
// tolerance of its picture: at most 45 ms ahead of it, 125 ms behind
// (ITU-R BT.1359). The recording's lip
// sync is TestRecordingLipSync's; this is the live path's, where a track
// stamped off the room clock, or reports that say another clock, puts the
// two out of step in every browser.
//
// The sound comes some 5 to 50 ms after the picture here: the sound's
// jitter queue starts at 40 ms and the picture has none, and a flash waits
// for the mix's next picture, up to 33 ms. Each flash is held to the
// tolerance, not their median: the flashes fall at five points between two
// of the mix's pictures, some 7 ms apart (see flashesAndBeeps), and were
// the sound 90 ms earlier most of them would be more than 45 ms ahead of
// their picture, even in a run whose median were not. A third of a
// receiver's flashes may stray (on a busy machine a picture or a sound
// can come late now and then: pairs 45 ms off the rest have been seen);
// the sender's first 2.5 s (its start, the receivers' first keyframe, the
// most work at once) are left out. Every offset is logged, and listed on
// failure.
func TestLiveLipSync(t *testing.T) {
	if testing.Short() {
		t.Skip("real time")
	}
	const (
		length   = 9500 * time.Millisecond // of the sender's media received
		settle   = 2500 * time.Millisecond // of it at the start, not measured
		ahead    = 45 * time.Millisecond   // the most the sound may lead
		behind   = 125 * time.Millisecond  // the most it may lag
		minPairs = 4                       // flashes with their beep, each receiver
	)
	video, audio := flashesAndBeeps(t, t.TempDir(), 12)
	// A smaller mix than the default 720p: less to encode and decode on a
	// busy machine, and the tile as easily found.
	srv := testserver.Start(t, func(c *room.Config) {
		c.Mixer.Video.Width, c.Mixer.Video.Height = 640, 360
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The receivers first, to have the sender's first second too.
	listener := watchLipSync(t, ctx, srv.URL+"/rooms/lips/join?name=listener")
	viewer := watchLipSync(t, ctx, srv.URL+"/whep/lips")
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "lips", Name: "speaker", Video: video, Audio: audio})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case <-c.Connected():
	case <-ctx.Done():
		t.Fatal("the sender did not connect in 30 s")
	}
	start := time.Now() // it sends from here on
	time.Sleep(settle)
	before := fellBehind(t, srv.URL)
	time.Sleep(length - settle)
	// A server short of CPU (the race detector, other tests, other jobs
	// on the machine) falls behind its media for a while: the pictures of
	// a flash held back and shown late, none for half a second. That is
	// the overload's to report (mcu_late_ticks_total), not lip sync's:
	// the run is not measured when it fell behind by more than a few
	// pictures (15) over the measured part.
	if late := fellBehind(t, srv.URL) - before; late > 15 {
		t.Skipf("the server fell %d pictures behind its media over the measured %v: lip sync not measured", late, length-settle)
	}

	for _, rx := range []struct {
		name string
		w    *lipWatcher
	}{{"the viewer (full mix)", viewer}, {"the other participant (mix-minus)", listener}} {
		pairs, err := rx.w.pairs(start.Add(settle))
		if err != nil {
			t.Errorf("%s: %v", rx.name, err)
			continue
		}
		var list []string
		var offsets []time.Duration
		outside := 0
		for _, p := range pairs {
			d := p.offset.Round(time.Millisecond)
			list = append(list, fmt.Sprintf("%.2f s: %+d", p.flash.Sub(start).Seconds(), d.Milliseconds()))
			offsets = append(offsets, d)
			if d < -ahead || d > behind {
				outside++
			}
		}
		slices.Sort(offsets)
		var median time.Duration
		if n := len(offsets); n > 0 {
			median = (offsets[(n-1)/2] + offsets[n/2]) / 2
		}
		measured := fmt.Sprintf("the sound after the picture (ms) at each flash (s since the sender's start): %s; median %+d ms",
			strings.Join(list, ", "), median.Milliseconds())
		t.Logf("%s: %s", rx.name, measured)
		switch {
		case len(pairs) < minPairs:
			t.Errorf("%s: %d flashes found with their beep in %v of the mix, want %d or more (%s)",
				rx.name, len(pairs), length-settle, minPairs, rx.w.summary())
		case outside > len(pairs)/3:
			t.Errorf("%s: %d of %d flashes have their sound outside -%d ms to +%d ms of the picture, want %d at most (a third); %s",
				rx.name, outside, len(pairs), ahead.Milliseconds(), behind.Milliseconds(), len(pairs)/3, measured)
		}
	}
}

// flashesAndBeeps makes a VP8 video (IVF, 25 pictures a second) and an
// Opus sound (Ogg) of secs seconds, in dir: the picture black but white
// for 200 ms (5 pictures) every 1.04 s (26 pictures), the sound silent but
// a 1 kHz tone then. The mix's pictures are 30 a second, so a flash 1.04 s
// after the one before comes a fifth of a mix picture later in the mix's
// picture times (1.04 s is 31.2 of them): five flashes in a row are each
// taken into the mix at another point between two of its pictures, as a
// camera's would be, and not all at the same one. The tone's volume is
// switched per 10 ms frame of the source (FFmpeg's default of 1024 samples
// would start each beep up to 21 ms late); both are switched by frame
// count, not by time, which rounds. libvpx runs on one thread: on a busy
// machine its threads wait on each other for seconds.
func flashesAndBeeps(t *testing.T, dir string, secs int) (video, audio string) {
	t.Helper()
	video, audio = filepath.Join(dir, "flash.ivf"), filepath.Join(dir, "beep.ogg")
	tool(t, "ffmpeg", "-v", "error", "-f", "lavfi", "-i", fmt.Sprintf("color=c=black:s=320x180:r=25:d=%d,drawbox=c=white:t=fill:enable='lt(mod(n,26),5)'", secs),
		"-c:v", "libvpx", "-deadline", "realtime", "-threads", "1", "-b:v", "300k", "-g", "25", video)
	tool(t, "ffmpeg", "-v", "error", "-f", "lavfi", "-i", fmt.Sprintf("sine=f=%d:r=48000:d=%d:samples_per_frame=480,volume=0:enable='gte(mod(n,104),20)'", beepHz, secs),
		"-ac", "2", "-c:a", "libopus", "-b:a", "64k", audio)
	return video, audio
}

const (
	beepHz   = 1000
	lipGrid  = 8                      // the picture is measured in lipGrid×lipGrid blocks
	toneStep = 5 * time.Millisecond   // the sound is measured in windows this long
	beepGap  = 300 * time.Millisecond // a beep starts after at least this much quiet
)

// lipWatcher receives the room's mix as a browser does and keeps, by RTP
// time, how bright each block of each picture is and how loud the beep is
// in each window of the sound, with each track's sender reports.
type lipWatcher struct {
	mu           sync.Mutex
	video, audio lipTrack
	pictures     []lipPicture
	tones        []lipTone
}

// lipTrack is what a received track's sender reports say.
type lipTrack struct {
	rate    uint32 // the RTP clock, per second
	reports []*rtcp.SenderReport
}

type lipPicture struct {
	ts     uint32
	blocks [lipGrid * lipGrid]float64 // mean luma
}

type lipTone struct {
	ts    uint32
	level float64 // dBFS of the beep's tone
}

// watchLipSync posts a receiving offer (audio and video, pion's default
// formats and interceptors, as a browser has them) to url and returns the
// watcher of what comes back; its connection closes when the test ends.
func watchLipSync(t *testing.T, ctx context.Context, url string) *lipWatcher {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		t.Fatal(err)
	}
	s := webrtc.SettingEngine{}
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetSRTPReplayProtectionWindow(1024) // resends come behind newer packets
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	w := &lipWatcher{}
	pc.OnTrack(func(track *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		tr := &w.video
		if track.Kind() == webrtc.RTPCodecTypeAudio {
			tr = &w.audio
		}
		w.mu.Lock()
		tr.rate = track.Codec().ClockRate
		w.mu.Unlock()
		go w.readReports(r, tr)
		if track.Kind() == webrtc.RTPCodecTypeAudio {
			go w.readAudio(track)
		} else {
			go w.readVideo(track, func() {
				pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(track.SSRC())}})
			})
		}
	})
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/sdp")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d %s, want 201 and an answer", url, resp.StatusCode, answer)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected:
	case <-ctx.Done():
		t.Fatalf("%s: not connected", url)
	}
	return w
}

func (w *lipWatcher) readReports(r *webrtc.RTPReceiver, tr *lipTrack) {
	for {
		pkts, _, err := r.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if sr, ok := p.(*rtcp.SenderReport); ok {
				w.mu.Lock()
				tr.reports = append(tr.reports, sr)
				w.mu.Unlock()
			}
		}
	}
}

// readVideo rebuilds and decodes the pictures (waiting at most 400 ms for
// a lost packet's resend, asking for a keyframe after a loss, as the
// client does) and keeps each one's block brightness.
func (w *lipWatcher) readVideo(track *webrtc.TrackRemote, pli func()) {
	dec, err := codec.NewVideoDecoder(codec.VP8)
	if err != nil {
		return
	}
	defer dec.Close()
	sb := samplebuilder.New(256, &codecs.VP8Packet{}, 90000, samplebuilder.WithMaxTimeDelay(400*time.Millisecond))
	f := &codec.Frame{}
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		sb.Push(pkt)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			if s.PrevDroppedPackets > 0 {
				dec.WaitKeyframe()
			}
			if err := dec.Send(s.Data, codec.NoPTS); err != nil {
				pli()
				continue
			}
			if ok, _ := dec.Receive(f); !ok {
				continue
			}
			p := lipPicture{ts: s.PacketTimestamp}
			wd, ht := f.Width(), f.Height()
			for by := range lipGrid {
				for bx := range lipGrid {
					// Every 4th pixel each way: enough for a mean, and
					// cheap under the race detector.
					var sum, n float64
					for y := by * ht / lipGrid; y < (by+1)*ht/lipGrid; y += 4 {
						for x := bx * wd / lipGrid; x < (bx+1)*wd/lipGrid; x += 4 {
							sum += float64(f.Y[y*f.YStride+x])
							n++
						}
					}
					p.blocks[by*lipGrid+bx] = sum / max(n, 1)
				}
			}
			w.mu.Lock()
			w.pictures = append(w.pictures, p)
			w.mu.Unlock()
		}
	}
}

// readAudio decodes the sound and keeps the beep's level in each window.
func (w *lipWatcher) readAudio(track *webrtc.TrackRemote) {
	dec, err := codec.NewOpusDecoder()
	if err != nil {
		return
	}
	pcm := make([]int16, codec.MaxOpusSamples*codec.OpusChannels)
	step := int(toneStep * codec.OpusSampleRate / time.Second)
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		if len(pkt.Payload) == 0 {
			continue
		}
		n, err := dec.Decode(pkt.Payload, pcm)
		if err != nil {
			continue
		}
		var tones []lipTone
		for i := 0; i+step <= n; i += step {
			win := pcm[i*codec.OpusChannels : (i+step)*codec.OpusChannels]
			tones = append(tones, lipTone{ts: pkt.Timestamp + uint32(i),
				level: mediatest.ToneLevel(win, codec.OpusChannels, 0, codec.OpusSampleRate, beepHz, 0, 0)})
		}
		w.mu.Lock()
		w.tones = append(w.tones, tones...)
		w.mu.Unlock()
	}
}

// wall is the wall-clock time of RTP time ts by the latest of the track's
// reports made before it (the first if none was), as a browser maps it.
func (tr *lipTrack) wall(ts uint32) time.Time {
	sr := tr.reports[0]
	for _, r := range tr.reports {
		if int32(ts-r.RTPTime) >= 0 {
			sr = r
		}
	}
	secs, frac := int64(sr.NTPTime>>32), (sr.NTPTime&0xffffffff)*uint64(time.Second)>>32
	const ntpToUnix = 2208988800 // seconds from 1900 to 1970
	at := time.Unix(secs-ntpToUnix, int64(frac))
	return at.Add(time.Duration(float64(int32(ts-sr.RTPTime)) / float64(tr.rate) * float64(time.Second)))
}

// lipPair is a flash of the sender's tile and the beep nearest it.
type lipPair struct {
	flash  time.Time     // on the wall clock
	offset time.Duration // of the beep after the flash
}

// pairs finds the flashes (a block of the picture turning from dark to
// bright, the block that does so the most: in the sender's tile) and the
// beeps (the tone's level rising to within 20 dB of its loudest after
// quiet) by their wall-clock times, and pairs each flash from from on with
// the beep nearest it, if within 400 ms (the flashes are a second apart).
func (w *lipWatcher) pairs(from time.Time) ([]lipPair, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.video.reports) == 0 || len(w.audio.reports) == 0 {
		return nil, fmt.Errorf("%s: want sender reports on both tracks", w.summaryLocked())
	}
	pictures := slices.Clone(w.pictures)
	slices.SortFunc(pictures, func(a, b lipPicture) int { return int(int32(a.ts - b.ts)) })
	block, lo, hi := -1, 0.0, 0.0
	for b := range lipGrid * lipGrid {
		l, h := 255.0, 0.0
		for _, p := range pictures {
			l, h = min(l, p.blocks[b]), max(h, p.blocks[b])
		}
		if l < 60 && h > 160 && (block < 0 || h-l > hi-lo) {
			block, lo, hi = b, l, h
		}
	}
	if block < 0 {
		return nil, fmt.Errorf("%s: no part of the picture flashes (from under 60 to over 160 luma)", w.summaryLocked())
	}
	var flashes []time.Time
	bright := true // a flash counts from dark only
	for _, p := range pictures {
		now := p.blocks[block] > (lo+hi)/2
		if now && !bright {
			flashes = append(flashes, w.video.wall(p.ts))
		}
		bright = now
	}
	tones := slices.Clone(w.tones)
	slices.SortFunc(tones, func(a, b lipTone) int { return int(int32(a.ts - b.ts)) })
	loudest := math.Inf(-1)
	for _, x := range tones {
		loudest = max(loudest, x.level)
	}
	var beeps []time.Time
	quiet := beepGap // of quiet before the first window
	for _, x := range tones {
		if x.level < loudest-20 {
			quiet += toneStep
			continue
		}
		if quiet >= beepGap {
			beeps = append(beeps, w.audio.wall(x.ts))
		}
		quiet = 0
	}
	var pairs []lipPair
	for _, f := range flashes {
		if f.Before(from) {
			continue
		}
		best := time.Duration(math.MaxInt64)
		for _, b := range beeps {
			if d := b.Sub(f); d.Abs() < best.Abs() {
				best = d
			}
		}
		if best.Abs() <= 400*time.Millisecond {
			pairs = append(pairs, lipPair{f, best})
		}
	}
	return pairs, nil
}

// summary says what the watcher received, for a failure's message.
func (w *lipWatcher) summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.summaryLocked()
}

func (w *lipWatcher) summaryLocked() string {
	return fmt.Sprintf("%d pictures, %d windows of sound, %d and %d sender reports of the video and the audio",
		len(w.pictures), len(w.tones), len(w.video.reports), len(w.audio.reports))
}

// fellBehind is the server's count of pictures it fell behind its media by:
// ticks skipped late, encodes skipped busy, video dropped undecoded.
func fellBehind(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	n := 0
	for _, line := range strings.Split(string(body), "\n") {
		for _, name := range []string{"mcu_late_ticks_total ", "mcu_dropped_frames_total ", "mcu_video_frames_behind_total "} {
			if v, ok := strings.CutPrefix(line, name); ok {
				f, _ := strconv.ParseFloat(v, 64)
				n += int(f)
			}
		}
	}
	return n
}
