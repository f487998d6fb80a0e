//go:build cgo && linux

package codec

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// TestStaticCodecsLoadLittle: linked statically with the cut-down registry
// (codec/ffregistry.c), the process maps neither FFmpeg's nor libvpx's
// shared libraries, nor the codec libraries FFmpeg's full lists wrap; a
// build against Debian's shared FFmpeg maps some 140 shared objects.
func TestStaticCodecsLoadLittle(t *testing.T) {
	requireStatic(t)
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	libs := map[string]bool{}
	for _, line := range strings.Split(string(maps), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && strings.Contains(filepath.Base(f[5]), ".so") {
			libs[filepath.Base(f[5])] = true
		}
	}
	for lib := range libs {
		for _, banned := range []string{
			"libavcodec.so", "libavformat.so", "libavutil.so", "libswscale.so", "libswresample.so",
			"libavfilter.so", "libavdevice.so", "libvpx.so",
			"librsvg", "libx264", "libx265", "libaom", "libSvtAv1Enc", "librav1e", "libzmq", "libsrt", "libssh",
		} {
			if strings.HasPrefix(lib, banned) {
				t.Errorf("%s is loaded", lib)
			}
		}
	}
	if len(libs) > 60 {
		t.Errorf("%d shared objects loaded, want at most 60", len(libs))
	}
}

// TestEncoderTokenBufferNotResident: libvpx's VP8 encoder allocates its
// token buffer for the worst frame (22 MB at 1280x720). With mcu's
// allocator (codec/vpxmem.c) its pages become resident only as the encoder
// writes them; libvpx's own vpx_calloc cleared them all at once.
func TestEncoderTokenBufferNotResident(t *testing.T) {
	requireStatic(t)
	debug.FreeOSMemory() // so that the Go heap does not shrink while measuring
	before := rssAnonKiB(t)
	enc, err := NewVP8Encoder(DefaultVP8Config())
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	if grew := rssAnonKiB(t) - before; grew > 10<<10 {
		t.Errorf("opening a 1280x720 encoder made %d KiB resident, want under 10 MiB", grew)
	}
}

// requireStatic skips a test of the static build in a test binary linked
// against the shared libraries, unless the Makefile, which links statically
// on this machine, ran it: then that is a failure.
func requireStatic(t *testing.T) {
	t.Helper()
	if StaticCodecs {
		return
	}
	if os.Getenv("MCU_STATIC_CODECS_EXPECTED") != "" {
		t.Fatal("the Makefile links FFmpeg and libvpx statically here, but this binary links the shared libraries")
	}
	t.Skip("linked against the shared FFmpeg and libvpx (not built by make)")
}

func rssAnonKiB(t *testing.T) int {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "RssAnon:" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no RssAnon in /proc/self/status")
	return 0
}
