package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"mcu/client"
	"mcu/codec"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/room"
)

type snapshot struct {
	goroutines int
	threads    int
	heap       uint64
	cheap      int64
	rss        int
	fds        map[string]int
	stacks     map[string]int
}

func (s snapshot) String() string {
	n := 0
	for _, c := range s.fds {
		n += c
	}
	return fmt.Sprintf("threads %d, goroutines %d, heap %d KiB, C heap %d KiB, RSS %d KiB, fds %d %v", s.threads, s.goroutines, s.heap>>10, s.cheap>>10, s.rss, n, s.fds)
}

var hexAddr = regexp.MustCompile(`\+0x[0-9a-f]+|0x[0-9a-f]+`)

// goroutineStacks: count of goroutines per stack (functions only).
func goroutineStacks() map[string]int {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 1)
	out := map[string]int{}
	for _, block := range strings.Split(b.String(), "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if len(lines) < 2 {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(lines[0], "%d @", &n); err != nil {
			continue
		}
		var fr []string
		for _, l := range lines[1:] {
			f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(l), "#"))
			if len(f) >= 2 {
				fr = append(fr, hexAddr.ReplaceAllString(f[1], "")+" "+f[2])
			}
		}
		out[strings.Join(fr, "\n\t")] += n
	}
	return out
}

// fdKinds classifies /proc/self/fd by target (sockets by protocol).
func fdKinds(t *testing.T) map[string]int {
	proto := map[string]string{}
	for _, p := range []string{"tcp", "tcp6", "udp", "udp6", "unix"} {
		f, err := os.Open("/proc/self/net/" + p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan()
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			idx := 9
			if p == "unix" {
				idx = 6
			}
			if len(fs) > idx {
				proto[fs[idx]] = p
			}
		}
		f.Close()
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range ents {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue
		}
		kind := target
		switch {
		case strings.HasPrefix(target, "socket:["):
			kind = "socket:" + proto[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")]
		case strings.HasPrefix(target, "pipe:"):
			kind = "pipe"
		case strings.HasPrefix(target, "anon_inode:"):
			kind = target
		case strings.HasPrefix(target, "/tmp/"):
			kind = "file:" + target
		}
		out[kind]++
	}
	return out
}

func takeSnapshot(t *testing.T, want int) snapshot {
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	g, heap, rss := settle(t, want)
	c, _ := codec.CHeapBytes()
	return snapshot{threads: threads(t), goroutines: g, heap: heap, cheap: c, rss: rss, fds: fdKinds(t), stacks: goroutineStacks()}
}

func diffStacks(t *testing.T, what string, a, b map[string]int) {
	type d struct {
		k string
		n int
	}
	var ds []d
	for k, n := range b {
		if n > a[k] {
			ds = append(ds, d{k, n - a[k]})
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].n > ds[j].n })
	for _, x := range ds {
		t.Logf("%s: +%d goroutines at\n\t%s", what, x.n, x.k)
	}
}

func diffFDs(t *testing.T, what string, a, b map[string]int) {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	}) {
		if a[k] != b[k] {
			t.Logf("%s: fd %s %d → %d", what, k, a[k], b[k])
		}
	}
}

// counters of what the churn did.
type churnStats struct {
	joins, whip, whep, h264, neverICE, garbage, vanished, cancelled, restarts, layouts, recStart, recStop, byDelete, byClose, refused atomic.Int64
}

func (c *churnStats) String() string {
	return fmt.Sprintf("joins %d, whip %d, whep %d (h264 %d), never-ICE %d, garbage %d (vanished %d), joins cancelled %d, restarts %d, layouts %d, rec start %d stop %d, left by DELETE %d, by close %d, refused %d",
		c.joins.Load(), c.whip.Load(), c.whep.Load(), c.h264.Load(), c.neverICE.Load(), c.garbage.Load(), c.vanished.Load(), c.cancelled.Load(), c.restarts.Load(), c.layouts.Load(),
		c.recStart.Load(), c.recStop.Load(), c.byDelete.Load(), c.byClose.Load(), c.refused.Load())
}

type churner struct {
	t     *testing.T
	url   string
	stats *churnStats
	rooms []string
}

func (ch *churner) do(method, path, ctype, body string) int {
	req, _ := http.NewRequest(method, ch.url+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// sideActions: while a client is in room, now and then an ICE restart, a
// layout change, a recording started or stopped.
func (ch *churner) sideActions(ctx context.Context, rng *mrand.Rand, rm string, c *client.Client) {
	if c != nil && rng.IntN(4) == 0 {
		rctx, cancel := context.WithTimeout(ctx, 8*time.Second)
		if _, err := c.RestartICE(rctx); err == nil {
			ch.stats.restarts.Add(1)
		}
		cancel()
	}
	if rng.IntN(4) == 0 {
		mode := []string{"grid", "speaker"}[rng.IntN(2)]
		if ch.do(http.MethodPut, "/api/rooms/"+rm+"/layout", "application/json", `{"mode":"`+mode+`"}`) == http.StatusOK {
			ch.stats.layouts.Add(1)
		}
	}
	switch rng.IntN(6) {
	case 0, 1:
		if ch.do(http.MethodPost, "/api/rooms/"+rm+"/recording", "", "") == http.StatusCreated {
			ch.stats.recStart.Add(1)
		}
	case 2:
		if ch.do(http.MethodDelete, "/api/rooms/"+rm+"/recording", "", "") == http.StatusOK {
			ch.stats.recStop.Add(1)
		}
	}
}

func (ch *churner) clip(rng *mrand.Rand, whip bool) (video, audio string) {
	t := ch.t
	n := 1 + rng.IntN(9)
	audio = mediatest.TestdataPath(t, fmt.Sprintf("p%02d.ogg", n))
	switch rng.IntN(6) {
	case 0:
		return mediatest.TestdataPath(t, fmt.Sprintf("p%02d.h264", n)), audio
	case 1:
		if !whip {
			return mediatest.TestdataPath(t, "p12.vp9.ivf"), audio
		}
	case 2:
		if !whip {
			return mediatest.TestdataPath(t, "p12.av1.ivf"), audio
		}
	case 3:
		return "", audio // audio only
	}
	return mediatest.TestdataPath(t, fmt.Sprintf("p%02d.ivf", n)), audio
}

// endClient ends a client in one of several ways.
func (ch *churner) endClient(ctx context.Context, rng *mrand.Rand, c *client.Client) {
	switch rng.IntN(3) {
	case 0:
		c.Leave(ctx)
		ch.stats.byDelete.Add(1)
	case 1:
		c.Close() // vanished: no DELETE
		ch.stats.byClose.Add(1)
	case 2:
		// DELETE, then keep sending a moment, then close
		c.Delete(ctx)
		time.Sleep(time.Duration(rng.IntN(800)) * time.Millisecond)
		c.Close()
		ch.stats.byDelete.Add(1)
	}
}

func (ch *churner) withClient(ctx context.Context, rng *mrand.Rand, rm string, opts client.Options) {
	opts.Server, opts.Room = ch.url, rm
	c, err := client.Connect(ctx, opts)
	if err != nil {
		ch.stats.refused.Add(1)
		return
	}
	if rng.IntN(10) == 0 {
		// never completes ICE: closed before it connects
		c.Close()
		ch.stats.neverICE.Add(1)
		return
	}
	select {
	case <-c.Connected():
	case <-time.After(10 * time.Second):
	case <-ctx.Done():
	}
	end := time.Now().Add(time.Duration(500+rng.IntN(4000)) * time.Millisecond)
	for time.Now().Before(end) && ctx.Err() == nil {
		ch.sideActions(ctx, rng, rm, c)
		time.Sleep(time.Duration(200+rng.IntN(800)) * time.Millisecond)
	}
	ch.endClient(context.WithoutCancel(ctx), rng, c)
}

// neverICE posts an offer and never does ICE.
func (ch *churner) neverICE(rng *mrand.Rand) {
	m := &webrtc.MediaEngine{}
	m.RegisterDefaultCodecs()
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		ch.t.Error(err)
		return
	}
	defer pc.Close()
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
	}
	offer, _ := pc.CreateOffer(nil)
	gathered := webrtc.GatheringCompletePromise(pc)
	pc.SetLocalDescription(offer)
	<-gathered
	if rng.IntN(2) == 0 {
		// The client gives up its join part way.
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(15))*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ch.url+"/rooms/"+ch.rooms[rng.IntN(len(ch.rooms))]+"/join", strings.NewReader(pc.LocalDescription().SDP))
		req.Header.Set("Content-Type", "application/sdp")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		} else {
			ch.stats.cancelled.Add(1)
		}
		return
	}
	if ch.do(http.MethodPost, "/rooms/"+ch.rooms[0]+"/join", "application/sdp", pc.LocalDescription().SDP) == http.StatusCreated {
		ch.stats.neverICE.Add(1)
	}
}

// garbage joins with a peer of its own that sends RTP of random bytes on
// its video (of a random format) and audio, then leaves.
func (ch *churner) garbage(ctx context.Context, rng *mrand.Rand, rm string) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		ch.t.Error(err)
		return
	}
	s := webrtc.SettingEngine{}
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	// Its ICE on a socket of its own, closed to vanish (no DTLS close).
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		ch.t.Error(err)
		return
	}
	defer udp.Close()
	mux := webrtc.NewICEUDPMux(nil, udp)
	defer mux.Close()
	s.SetICEUDPMux(mux)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	sw := &ptSwitch{rng: mrand.New(mrand.NewPCG(rng.Uint64(), 1))}
	reg := &interceptor.Registry{}
	reg.Add(sw)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(s), webrtc.WithInterceptorRegistry(reg))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		ch.t.Error(err)
		return
	}
	defer pc.Close()
	caps := []webrtc.RTPCodecCapability{
		{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
		{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"},
		{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000, SDPFmtpLine: "profile-id=0"},
		{MimeType: webrtc.MimeTypeAV1, ClockRate: 90000},
	}
	vt, _ := webrtc.NewTrackLocalStaticRTP(caps[rng.IntN(len(caps))], "video", "garbage")
	at, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "garbage")
	for _, tr := range []webrtc.TrackLocal{vt, at} {
		snd, err := pc.AddTrack(tr)
		if err != nil {
			ch.t.Error(err)
			return
		}
		go func() {
			for {
				if _, _, err := snd.ReadRTCP(); err != nil {
					return
				}
			}
		}()
	}
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		ch.t.Error(err)
		return
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	pc.SetLocalDescription(offer)
	<-gathered
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ch.url+"/rooms/"+rm+"/join?name=garbage", strings.NewReader(pc.LocalDescription().SDP))
	req.Header.Set("Content-Type", "application/sdp")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		// The room full (429): a moment before the next try, not a loop
		// of peers made and refused that takes a core.
		ch.stats.refused.Add(1)
		time.Sleep(200 * time.Millisecond)
		return
	}
	loc, _ := resp.Location()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		ch.t.Error(err)
		return
	}
	ch.stats.garbage.Add(1)
	sw.pts.Store(videoPTs(string(answer))) // a sender switching formats: a decoder each time
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		return
	}
	end := time.Now().Add(time.Duration(1000+rng.IntN(3000)) * time.Millisecond)
	var vseq, aseq uint16
	var vts, ats uint32
	buf := make([]byte, 1200)
	for i := 0; time.Now().Before(end) && ctx.Err() == nil; i++ {
		n := 1 + rng.IntN(len(buf))
		rand.Read(buf[:n])
		if rng.IntN(3) == 0 && n > 2 {
			buf[0] = 0x10 // a VP8 payload descriptor's start bit, to go further in
		}
		marker := rng.IntN(4) == 0
		vt.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, Marker: marker, SequenceNumber: vseq, Timestamp: vts}, Payload: buf[:n]})
		vseq++
		if marker {
			vts += 3000
		}
		if i%3 == 0 {
			m := 1 + rng.IntN(200)
			rand.Read(buf[:m])
			at.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: aseq, Timestamp: ats}, Payload: buf[:m]})
			aseq++
			ats += 960
		}
		time.Sleep(3 * time.Millisecond)
	}
	if rng.IntN(3) == 0 {
		udp.Close() // vanished: its network gone
		ch.stats.vanished.Add(1)
		return
	}
	if rng.IntN(2) == 0 {
		req, _ := http.NewRequest(http.MethodDelete, loc.String(), nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
}

func (ch *churner) worker(ctx context.Context, seed uint64) {
	rng := mrand.New(mrand.NewPCG(seed, 7))
	for ctx.Err() == nil {
		rm := ch.rooms[rng.IntN(len(ch.rooms))]
		switch k := rng.IntN(20); {
		case k < 7:
			v, a := ch.clip(rng, false)
			ch.stats.joins.Add(1)
			ch.withClient(ctx, rng, rm, client.Options{Video: v, Audio: a, H264: rng.IntN(4) == 0})
		case k < 9:
			v, a := ch.clip(rng, true)
			if strings.HasSuffix(v, ".h264") || v == "" {
				v = mediatest.TestdataPath(ch.t, "p02.ivf")
			}
			ch.stats.whip.Add(1)
			ch.withClient(ctx, rng, rm, client.Options{Endpoint: client.WHIP, Video: v, Audio: a})
		case k < 13:
			h := rng.IntN(2) == 0
			ch.stats.whep.Add(1)
			if h {
				ch.stats.h264.Add(1)
			}
			ch.withClient(ctx, rng, rm, client.Options{Endpoint: client.WHEP, H264: h})
		case k < 14:
			ch.neverICE(rng)
		case k < 16:
			ch.garbage(ctx, rng, rm)
		default:
			ch.sideActions(ctx, rng, rm, nil)
			time.Sleep(300 * time.Millisecond)
		}
	}
}

// waitEmpty waits for every session and room to end, but the stay's.
func waitEmpty(t *testing.T, rooms *room.Manager, d time.Duration, stay int) {
	deadline := time.Now().Add(d)
	for {
		r, p, v := rooms.Counts()
		if r == stay && p == stay && v == 0 && rooms.Recordings() <= stay {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("after %v: %d rooms, %d participants, %d viewers left", d, r, p, v)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestChurnLeaks: sessions of every kind coming and going in two rooms,
// one held open throughout and one that opens and closes, for 12 s:
// participants (VP8, H.264, VP9, AV1, audio alone; some taking the mix in
// H.264), WHIP publishers, WHEP viewers (some H.264 only, starting and
// stopping the room's second encoder), joins never connected or given up
// part way, peers sending garbage RTP that switches formats, ICE
// restarts, layout changes, recordings started, stopped and left running
// as a room empties; leaving by DELETE, by closing the peer, or by
// vanishing (its network gone). Once all have ended, goroutines, file
// descriptors, Go heap and C memory are back where they were.
func TestChurnLeaks(t *testing.T) {
	if testing.Short() {
		t.Skip("12 s of WebRTC sessions")
	}
	srv := testserver.Start(t, func(c *room.Config) {
		c.Net.PeerTimeout = 3 * time.Second
		c.Mixer.Video.Width, c.Mixer.Video.Height = 640, 360
		c.MaxParticipants, c.MaxViewers = 3, 2
	})
	stats := &churnStats{}
	ch := &churner{t: t, url: srv.URL, stats: stats, rooms: []string{"held", "churn"}}
	stay := 0
	run := func(d time.Duration, seed uint64) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Go(func() { ch.worker(ctx, seed*100+uint64(w)) })
		}
		wg.Go(func() { // one garbage sender at least, in the room held open
			rng := mrand.New(mrand.NewPCG(seed, 9))
			for ctx.Err() == nil {
				ch.garbage(ctx, rng, ch.rooms[0])
			}
		})
		wg.Wait()
		waitEmpty(t, srv.Rooms, 15*time.Second, stay)
	}
	run(3*time.Second, 1) // warm caches and pools up
	base := takeSnapshot(t, 0)
	held, err := client.Connect(context.Background(), client.Options{Server: srv.URL, Room: "held", Name: "held",
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	stay = 1
	run(12*time.Second, 2)
	if err := held.Leave(context.Background()); err != nil {
		t.Error(err)
	}
	stay = 0
	waitEmpty(t, srv.Rooms, 10*time.Second, 0)
	end := takeSnapshot(t, base.goroutines)
	t.Logf("%s\nbefore: %v\nafter: %v", stats, base, end)
	if end.goroutines > base.goroutines+2 {
		t.Errorf("goroutines grew from %d to %d", base.goroutines, end.goroutines)
		diffStacks(t, "new", base.stacks, end.stacks)
	}
	if nfd(end) > nfd(base)+2 {
		t.Errorf("file descriptors grew from %d to %d", nfd(base), nfd(end))
		diffFDs(t, "churn", base.fds, end.fds)
	}
	if end.heap > base.heap+8<<20 {
		t.Errorf("Go heap grew from %d to %d KiB", base.heap>>10, end.heap>>10)
	}
	if end.cheap > base.cheap+2<<20 {
		t.Errorf("C memory grew from %d to %d KiB", base.cheap>>10, end.cheap>>10)
	}
}

func nfd(s snapshot) int {
	n := 0
	for _, c := range s.fds {
		n += c
	}
	return n
}

// ptSwitch rewrites the payload type of outgoing video now and then to
// another of pts (when set): a sender switching codecs.
type ptSwitch struct {
	interceptor.NoOp
	pts atomic.Pointer[[]uint8]
	mu  sync.Mutex
	rng *mrand.Rand
}

func (p *ptSwitch) NewInterceptor(string) (interceptor.Interceptor, error) { return p, nil }

func (p *ptSwitch) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	if !strings.HasPrefix(strings.ToLower(info.MimeType), "video/") {
		return w
	}
	var cur uint8
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if pts := p.pts.Load(); pts != nil && len(*pts) > 0 {
			p.mu.Lock()
			if cur == 0 || p.rng.IntN(20) == 0 {
				cur = (*pts)[p.rng.IntN(len(*pts))]
			}
			p.mu.Unlock()
			h.PayloadType = cur
		}
		return w.Write(h, payload, a)
	})
}

// videoPTs are the payload types of the answer's video section.
func videoPTs(answer string) *[]uint8 {
	var pts []uint8
	in := false
	for _, l := range strings.Split(answer, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "m=") {
			in = strings.HasPrefix(l, "m=video")
			continue
		}
		if v, ok := strings.CutPrefix(l, "a=rtpmap:"); ok && in {
			var pt int
			var name string
			if _, err := fmt.Sscanf(v, "%d %s", &pt, &name); err == nil && !strings.HasPrefix(strings.ToLower(name), "rtx") {
				pts = append(pts, uint8(pt))
			}
		}
	}
	return &pts
}

func threads(t *testing.T) int {
	b, _ := os.ReadFile("/proc/self/status")
	for l := range strings.Lines(string(b)) {
		var n int
		if _, err := fmt.Sscanf(l, "Threads: %d", &n); err == nil {
			return n
		}
	}
	return 0
}
