package client

import (
	"slices"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"

	"mcu/codec"
)

// TestH264MixProfileLevelIDs: a client with H264 set offers the mix's
// section constrained baseline then baseline, packetization mode 1, at the
// level it was given, 3.1 when given none, and level 1b as level_idc 11
// with constraint_set3 (a wrong profile-level-id has the server send a
// level the device cannot decode, or refuse the join).
func TestH264MixProfileLevelIDs(t *testing.T) {
	for _, c := range []struct {
		level codec.H264Level
		want  []string
	}{
		{0, []string{"42e01f", "42001f"}},
		{DefaultH264Level, []string{"42e01f", "42001f"}},
		{30, []string{"42e01e", "42001e"}},
		{40, []string{"42e028", "420028"}},
		{codec.H264Level1b, []string{"42f00b", "42100b"}},
	} {
		var got []string
		for _, f := range h264Mix(c.level) {
			if f.MimeType != webrtc.MimeTypeH264 || f.ClockRate != 90000 || !strings.Contains(f.SDPFmtpLine, "packetization-mode=1") {
				t.Errorf("level %d: format %+v, want H.264 at 90 kHz in packetization mode 1", c.level, f.RTPCodecCapability)
			}
			_, plid, _ := strings.Cut(f.SDPFmtpLine, "profile-level-id=")
			got = append(got, plid)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("level %d: profile-level-ids %v, want %v", c.level, got, c.want)
		}
	}
}

// TestH264KeyFindsTheSPS: the receiver counts an H.264 picture as a
// keyframe when its first packet holds a sequence parameter set, alone or
// in a STAP-A (as the server sends it ahead of each IDR), and not for
// other NAL units, a STAP-A without one, or a payload cut short.
func TestH264KeyFindsTheSPS(t *testing.T) {
	sps := []byte{0x67, 0x42, 0xe0, 0x1f}
	pps := []byte{0x68, 0xce, 0x3c, 0x80}
	stap := func(nalus ...[]byte) []byte {
		p := []byte{0x78} // F=0, NRI=3, type 24
		for _, n := range nalus {
			p = append(p, byte(len(n)>>8), byte(len(n)))
			p = append(p, n...)
		}
		return p
	}
	for _, c := range []struct {
		name    string
		payload []byte
		want    bool
	}{
		{"an SPS alone", sps, true},
		{"a STAP-A of SPS and PPS", stap(sps, pps), true},
		{"a STAP-A of PPS and SPS", stap(pps, sps), true},
		{"a STAP-A of a long SEI and SPS", stap(append([]byte{0x06}, make([]byte, 300)...), sps), true},
		{"an IDR slice alone", []byte{0x65, 0x88, 0x84}, false},
		{"a PPS alone", pps, false},
		{"a STAP-A of PPS and a slice", stap(pps, []byte{0x41, 0x9a}), false},
		{"a STAP-A of a 1792-byte SEI and a slice", stap(append([]byte{0x06}, make([]byte, 0x6ff)...), []byte{0x41, 0x9a}), false},
		{"a STAP-A cut short", stap(sps)[:2], false},
		{"nothing", nil, false},
	} {
		if got := h264Key(c.payload); got != c.want {
			t.Errorf("%s: keyframe %v, want %v", c.name, got, c.want)
		}
	}
}
