package offline

// mcu mix over damaged, cut or mislabelled inputs: each is mixed for as
// long as it lasts, its damage told naming the file.

import (
	"bytes"
	"context"
	"encoding/binary"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mcu/codec"
	"mcu/internal/logbuf"
	"mcu/internal/mediatest"
	"mcu/mixer"
)

// mixDamaged mixes one participant at 160x90 and returns the result and
// the mix's log.
func mixDamaged(t *testing.T, arg string) (Result, string) {
	t.Helper()
	p, err := ParseParticipant(arg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 160, 90
	var log logbuf.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Mix(ctx, []Participant{p}, Options{Output: filepath.Join(t.TempDir(), "out.webm"), Mixer: cfg,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatalf("%s: %v (log: %s)", arg, err, log.String())
	}
	return res, log.String()
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(mediatest.TestdataPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ivfFrames is the offsets of an IVF file's frame headers.
func ivfFrames(b []byte) []int {
	var at []int
	for i := 32; i+12 <= len(b); i += 12 + int(binary.LittleEndian.Uint32(b[i:])) {
		at = append(at, i)
	}
	return at
}

// TestTimesAtTheBoundAreDamage: an IVF file whose last frames' times are beyond any real time (what an
// IVF frame size damaged upwards leaves: the rest read as frames with
// random times, which fromStart brings all to maxMediaTime) made a 3 s
// clip's mix 100,000 hours long.
func TestTimesAtTheBoundAreDamage(t *testing.T) {
	b := readTestdata(t, "p01.ivf")
	at := ivfFrames(b)
	for _, i := range at[len(at)-2:] {
		binary.LittleEndian.PutUint64(b[i+4:], 1<<62)
	}
	p, err := ParseParticipant(writeTemp(t, "tail.ivf", b))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.measure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.length > 4*time.Second {
		t.Errorf("a 3 s clip whose last two frames' times are damaged measures %v: the mix would last that long", p.length)
	}
}

// oggPages is the offsets and lengths of an Ogg file's pages.
func oggPages(b []byte) (at, size []int) {
	for i := 0; i+27 <= len(b); {
		n := int(b[i+26])
		l := 27 + n
		for _, s := range b[i+27 : i+27+n] {
			l += int(s)
		}
		at, size = append(at, i), append(size, l)
		i += l
	}
	return at, size
}

// TestOggDamagedFirstPage: a damaged first audio page of an Ogg (FFmpeg skips it, "CRC mismatch",
// naming no file) moved the rest of the sound that much earlier, against
// the picture of its pair, without a warning, and the mix was shorter.
func TestOggDamagedFirstPage(t *testing.T) {
	b := readTestdata(t, "p01.ogg")
	at, size := oggPages(b)
	b[at[2]+size[2]-5] ^= 0xff // the first audio page, 1 s of sound
	ogg := writeTemp(t, "first.ogg", b)
	res, log := mixDamaged(t, mediatest.TestdataPath(t, "p01.ivf")+"+"+ogg)
	if res.Gaps != 1 || !strings.Contains(log, "first.ogg") {
		t.Errorf("a lost first second of sound: %d gaps filled, want 1, told naming the file; log:\n%s", res.Gaps, log)
	}
	pcm, err := mediatest.DecodeAudio(t.Context(), res.Output)
	if err != nil {
		t.Fatal(err)
	}
	loud := func(from, to time.Duration) bool {
		for i := int(from.Seconds() * mediatest.AudioRate * mediatest.AudioChannels); i < int(to.Seconds()*mediatest.AudioRate*mediatest.AudioChannels) && i < len(pcm); i++ {
			if pcm[i] > 1000 || pcm[i] < -1000 {
				return true
			}
		}
		return false
	}
	if loud(100*time.Millisecond, 900*time.Millisecond) || !loud(2100*time.Millisecond, 2900*time.Millisecond) {
		t.Errorf("the sound after a lost first page: want silence for its first second and the tone up to 3 s (loud in 0.1-0.9 s: %v, in 2.1-2.9 s: %v)",
			loud(100*time.Millisecond, 900*time.Millisecond), loud(2100*time.Millisecond, 2900*time.Millisecond))
	}
}

// TestIVFHeaderNamesAnotherCodec: an IVF header naming another codec than its frames are in: all its
// frames were refused, the tile empty for the whole mix, and the warning
// said a keyframe was missing.
func TestIVFHeaderNamesAnotherCodec(t *testing.T) {
	vp9 := readTestdata(t, "p12.vp9.ivf")
	copy(vp9[8:12], "VP80")
	vp8 := readTestdata(t, "p01.ivf")
	copy(vp8[8:12], "AV01")
	for _, c := range []struct {
		name string
		data []byte
		want codec.VideoCodec
	}{{"vp9-said-vp8.ivf", vp9, codec.VP9}, {"vp8-said-av1.ivf", vp8, codec.VP8}} {
		path := writeTemp(t, c.name, c.data)
		p, err := ParseParticipant(path)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if p.videoInfo.VideoCodec != c.want {
			t.Errorf("%s: read as %v, want %v", c.name, p.videoInfo.VideoCodec, c.want)
			continue
		}
		if res, log := mixDamaged(t, path); res.Warnings != 0 || strings.Contains(log, "pictures not shown") {
			t.Errorf("%s: %d warnings; log:\n%s", c.name, res.Warnings, log)
		}
	}
}

// TestAnnexBCutBetweenKeyframes: a raw H.264 stream cut between keyframes (a capture started late)
// starts with a picture's slice: it was refused as "not a media file"
// (ffprobe reads it), where a clip in a container that starts so is
// mixed from its first keyframe.
func TestAnnexBCutBetweenKeyframes(t *testing.T) {
	b := readTestdata(t, "p01.h264")
	// The 5th picture after the first IDR: past SPS, PPS, SEI and the IDR.
	i := 0
	for n := 0; n < 5; n++ {
		i += bytes.Index(b[i+4:], []byte{0, 0, 0, 1, 0x41}) + 4
	}
	res, log := mixDamaged(t, writeTemp(t, "cut.h264", b[i:]))
	if res.VideoFrames == 0 || !strings.Contains(log, "pictures not shown") {
		t.Errorf("%d frames; log:\n%s", res.VideoFrames, log)
	}
}

// TestH264TrailingSEI: an SEI or a delimiter after a raw H.264 stream's last picture (FFmpeg's
// parser gives it as a packet of its own) made the clip a picture longer
// and was warned of as damage.
func TestH264TrailingSEI(t *testing.T) {
	b := append(readTestdata(t, "p01.h264"), 0, 0, 0, 1, 0x06, 0x05, 0x01, 0x00, 0x80)
	res, log := mixDamaged(t, writeTemp(t, "sei.h264", b))
	if res.Duration != 3*time.Second || res.Warnings != 0 {
		t.Errorf("a 3 s stream and a trailing SEI: mix of %v, %d warnings; log:\n%s", res.Duration, res.Warnings, log)
	}
}

// TestCutShortIsTold: a file cut short (a copy not finished) was mixed as far as it goes
// without a word naming it: a WebM's header says how long it is, an Ogg's
// last page ends its stream.
func TestCutShortIsTold(t *testing.T) {
	for _, c := range []struct{ src, name string }{{"p12.webm", "cut.webm"}, {"p01.ogg", "cut.ogg"}} {
		b := readTestdata(t, c.src)
		_, log := mixDamaged(t, writeTemp(t, c.name, b[:len(b)/2]))
		if !strings.Contains(log, "cut short") || !strings.Contains(log, c.name) {
			t.Errorf("%s cut in half: not told; log:\n%s", c.name, log)
		}
	}
}

// oggCRC is an Ogg page's checksum.
func oggCRC(page []byte) uint32 {
	var c uint32
	for i, x := range page {
		if i >= 22 && i < 26 {
			x = 0
		}
		c ^= uint32(x) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04c11db7
			} else {
				c <<= 1
			}
		}
	}
	return c
}

// TestAudioMeasuredAsDecoded: the sound of an Ogg whose first audio page's granule position is
// damaged (a writer's bug: its checksum right) is decoded whole, in order,
// but the mix was measured by the packets' times alone: a 3 s clip made a
// 1 s mix, the rest of the sound cut without a word.
func TestAudioMeasuredAsDecoded(t *testing.T) {
	b := readTestdata(t, "p01.ogg")
	at, size := oggPages(b)
	g := at[2] + 6
	binary.LittleEndian.PutUint64(b[g:], binary.LittleEndian.Uint64(b[g:])+48000*3600*5)
	binary.LittleEndian.PutUint32(b[at[2]+22:], oggCRC(b[at[2]:at[2]+size[2]]))
	res, log := mixDamaged(t, writeTemp(t, "granule.ogg", b))
	if res.Duration < 2900*time.Millisecond {
		t.Errorf("3 s of sound mixed into %v; log:\n%s", res.Duration, log)
	}
}

// TestOggPageWithoutGranule: a page of sound whose granule position says
// "no packet ends here" (-1, a writer's damage with its checksum right)
// is read past: the mix lasts the whole 3 s, not failed nor cut there.
func TestOggPageWithoutGranule(t *testing.T) {
	b := readTestdata(t, "p01.ogg")
	at, size := oggPages(b)
	mid := len(at) / 2
	binary.LittleEndian.PutUint64(b[at[mid]+6:], ^uint64(0))
	binary.LittleEndian.PutUint32(b[at[mid]+22:], oggCRC(b[at[mid]:at[mid]+size[mid]]))
	res, log := mixDamaged(t, writeTemp(t, "granule.ogg", b))
	if res.Duration < 2900*time.Millisecond || res.Gaps != 1 || !strings.Contains(log, "granule.ogg") {
		t.Errorf("3 s of sound, one page without a granule: a mix of %v, %d gaps filled (want 1, told); log:\n%s", res.Duration, res.Gaps, log)
	}
}
