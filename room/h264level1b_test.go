package room

import (
	"testing"

	"mcu/codec"
)

// TestLevel1bAboveLevel1: level 1b (H264Level 9) is a higher level
// than 1.0 (10): 128 against 64 kbit/s (Table A-1). An offer of both, or
// two receivers of each, must be held to 1.0, the lowest; comparing the
// numbers picks 1b and lets the mix run at twice level 1.0's bitrate.
func TestLevel1bAboveLevel1(t *testing.T) {
	const head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	sdp := head + "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\n" +
		"a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=42e00a\r\n" +
		"a=rtpmap:97 H264/90000\r\na=fmtp:97 packetization-mode=1;profile-level-id=42f00b\r\n"
	c, l := mixCodec(parsed(t, sdp))
	if c != codec.H264 || l.MaxBitrate() != codec.H264Level(10).MaxBitrate() {
		t.Errorf("offer of levels 1.0 and 1b: %v level %v (%d bit/s), want level 1.0 (%d bit/s)", c, l, l.MaxBitrate(), codec.H264Level(10).MaxBitrate())
	}

	m := testManager(t)
	r, err := m.reserve("lvl1b", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		r.mu.Lock()
		r.unreserve(Viewer)
		r.mu.Unlock()
		m.joins.Done()
		m.closeIfEmpty(r)
	}()
	a := &Session{ID: "a", room: r, mix: codec.H264, h264Lvl: codec.H264Level1b}
	b := &Session{ID: "b", room: r, mix: codec.H264, h264Lvl: 10}
	a.receiveH264()
	b.receiveH264()
	defer a.markClosed()
	defer b.markClosed()
	if info := r.Info().Mixer; info.H264Level != "1.0" {
		t.Errorf("receivers of levels 1b and 1.0: the room encodes for level %q, want 1.0", info.H264Level)
	}
}
