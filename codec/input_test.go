//go:build cgo

package codec

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// TestInputH264InContainers: H.264 from MP4 and Matroska (lengths before
// its NAL units, SPS and PPS in the stream's header) reads as the Annex B
// stream the decoder takes: the first packet is a keyframe, and every
// picture of the clip decodes.
func TestInputH264InContainers(t *testing.T) {
	src := mediatest.TestdataPath(t, "p01.h264")
	for _, ext := range []string{"mp4", "mkv"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p01."+ext)
			if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "h264", "-r", "30", "-i", src, "-c", "copy", path).CombinedOutput(); err != nil {
				t.Fatalf("remux: %v %s", err, out)
			}
			in, err := OpenInput(path)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			if v := in.Video(); v == nil || v.VideoCodec != H264 {
				t.Fatalf("video stream %+v, want H.264", v)
			}
			dec, err := NewVideoDecoder(H264)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			var f Frame
			packets, pictures := 0, 0
			for {
				p, err := in.Read()
				if err != nil {
					break
				}
				if p.Kind != Video {
					continue
				}
				if packets == 0 && !IsKeyframe(H264, p.Data) {
					t.Error("the first packet is not a keyframe in Annex B")
				}
				packets++
				if err := dec.Send(p.Data, time.Duration(packets)); err != nil {
					t.Fatalf("packet %d: %v", packets, err)
				}
				for {
					ok, err := dec.Receive(&f)
					if err != nil {
						t.Fatalf("packet %d: %v", packets, err)
					}
					if !ok {
						break
					}
					pictures++
				}
			}
			if packets < 60 || pictures < packets-2 {
				t.Errorf("%d pictures from %d packets", pictures, packets)
			}
		})
	}
}

// TestInputNameWithColon: a file whose name looks like a URL (letters, then
// a colon) is read as a file, not refused for an unknown protocol.
func TestInputNameWithColon(t *testing.T) {
	data, err := os.ReadFile(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rec-10:30.ivf"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	in, err := OpenInput("rec-10:30.ivf")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if v := in.Video(); v == nil || v.VideoCodec != VP8 {
		t.Errorf("video stream %+v, want VP8", v)
	}
}

// TestInputSkipsSurroundOpus: Opus with several streams per packet (5.1,
// channel mapping family 1) is named and left out, not decoded as stereo
// into noise; Opus whose family 1 header holds one stream is read.
func TestInputSkipsSurroundOpus(t *testing.T) {
	head := func(channels, family, streams byte) []byte {
		h := append([]byte("OpusHead"), 1, channels, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, family)
		if family != 0 {
			h = append(h, streams, channels-streams)
			for i := range channels {
				h = append(h, i)
			}
		}
		return h
	}
	for _, c := range []struct {
		head []byte
		want int
	}{
		{nil, 1},
		{head(2, 0, 0), 1},
		{head(2, 1, 1), 1},
		{head(6, 1, 4), 4},
		{head(6, 1, 4)[:19], 0},
	} {
		if got := opusStreams(c.head); got != c.want {
			t.Errorf("opusStreams(% x) = %d, want %d", c.head, got, c.want)
		}
	}

	path := filepath.Join(t.TempDir(), "surround.ogg")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
		"-af", "pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0", "-c:a", "libopus", path).CombinedOutput(); err != nil {
		t.Fatalf("make a 5.1 Opus file: %v %s", err, out)
	}
	in, err := OpenInput(path)
	if err == nil {
		in.Close()
		t.Fatalf("a 5.1 Opus file opened as %+v, want it refused", in.Audio())
	}
	if !strings.Contains(err.Error(), "6 channels in 4 streams") {
		t.Errorf("error %q does not say why the stream is left out", err)
	}
}

// TestInputChainedOgg: two Ogg files joined end to end read as one stream
// of audio: the second's headers are not handed on as audio, its first
// packet is marked as a restart with its pre-skip, and its times follow the
// first's.
func TestInputChainedOgg(t *testing.T) {
	one, err := os.ReadFile(mediatest.TestdataPath(t, "p01.ogg"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "chained.ogg")
	if err := os.WriteFile(path, append(append([]byte{}, one...), one...), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var restarts []time.Duration
	var trims []int
	var last time.Duration
	packets := 0
	for {
		p, err := in.Read()
		if err != nil {
			break
		}
		packets++
		if strings.HasPrefix(string(p.Data), "Opus") {
			t.Errorf("a header handed on as audio at %v", p.PTS)
		}
		if p.SkipEnd != 0 {
			trims = append(trims, p.SkipEnd)
		}
		if p.Restart {
			restarts = append(restarts, p.PTS)
			if p.SkipStart != OpusPreSkip {
				t.Errorf("restart with pre-skip %d, want %d", p.SkipStart, OpusPreSkip)
			}
		}
		last = p.PTS
	}
	// Each clip is 3 s of sound and its pre-skip, in 151 packets.
	if len(restarts) != 1 || restarts[0] < 2990*time.Millisecond || restarts[0] > 3010*time.Millisecond ||
		last < 5950*time.Millisecond || last > 6050*time.Millisecond || packets != 302 {
		t.Errorf("%d packets, restarts at %v, last at %v; want 302, one restart at 3 s, the last near 6 s", packets, restarts, last)
	}
	// Each link's last packet codes past its 3 s and pre-skip: 151
	// packets of 960 samples hold 144000 + 312.
	if want := 151*960 - 3*48000 - OpusPreSkip; !slices.Equal(trims, []int{want, want}) {
		t.Errorf("samples trimmed at the end %v, want %d at each link's end", trims, want)
	}
}

// TestInputProbesWithinTheDecodersLimit: opening a file does not decode a
// picture larger than mcu's decoders take. An IVF that gives no size and
// whose 50-byte keyframes claim 16255x16255 made FFmpeg's probing decoder
// allocate 440 MB at each opening (three per input in a mix): the probe
// now refuses it, as mcu's decoder does, and the size stays unknown.
func TestInputProbesWithinTheDecodersLimit(t *testing.T) {
	frame := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a} // keyframe tag (first partition 20 bytes), start code
	frame = binary.LittleEndian.AppendUint16(frame, 16255)
	frame = binary.LittleEndian.AppendUint16(frame, 16255)
	frame = append(frame, make([]byte, 40)...)
	file := append([]byte("DKIF"), 0, 0, 32, 0)
	file = append(file, "VP80"...)
	file = append(file, make([]byte, 4)...) // width, height: unknown
	file = binary.LittleEndian.AppendUint32(file, 30)
	file = binary.LittleEndian.AppendUint32(file, 1)
	file = binary.LittleEndian.AppendUint32(file, 3)
	file = append(file, make([]byte, 4)...)
	for i := range 3 {
		file = binary.LittleEndian.AppendUint32(file, uint32(len(frame)))
		file = binary.LittleEndian.AppendUint64(file, uint64(i))
		file = append(file, frame...)
	}
	path := filepath.Join(t.TempDir(), "huge.ivf")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if v := in.Video(); v == nil || v.Width != 0 || v.Height != 0 {
		t.Errorf("video %+v: want a VP8 stream of unknown size (its picture not decoded)", v)
	}
}

// TestInputOpenErrorNamesFile: a file that its first bytes make out to be
// Ogg or IVF but that FFmpeg cannot open gives an error naming the file.
func TestInputOpenErrorNamesFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"zeros.ogg", append([]byte("OggS"), make([]byte, 60)...)},
		{"truncated.ivf", []byte("DKIF\x00\x00\x20\x00VP80")}, // header cut short after the codec
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.name)
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			in, err := OpenInput(path)
			if err == nil {
				in.Close()
				t.Fatal("OpenInput succeeded, want an error")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
		})
	}
}
