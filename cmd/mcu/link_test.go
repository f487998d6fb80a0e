package main

import (
	"debug/elf"
	"os"
	"slices"
	"strings"
	"testing"

	"mcu/codec"
)

// TestLinksOnlyUsedLibraries checks the binary built the Makefile's way
// (lld, --gc-sections, --as-needed, FFmpeg and libvpx static) asks for
// none of the libraries mcu never calls. Linked against Debian's shared
// FFmpeg, libavdevice and libavfilter alone bring ~80 more libraries and
// ~16 MB of resident memory. (What the static build loads in all, the
// libraries' own dependencies included, codec's TestStaticCodecsLoadLittle
// checks.)
func TestLinksOnlyUsedLibraries(t *testing.T) {
	if !strings.Contains(os.Getenv("CGO_LDFLAGS"), "--as-needed") {
		t.Skip("not built by make (CGO_LDFLAGS without --as-needed)")
	}
	static := codec.StaticCodecs
	if !static && os.Getenv("MCU_STATIC_CODECS_EXPECTED") != "" {
		t.Fatal("the Makefile links FFmpeg and libvpx statically here, but this binary links the shared libraries")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	shared := slices.ContainsFunc(libs, func(l string) bool { return strings.HasPrefix(l, "libavcodec.") })
	if shared == static {
		t.Fatalf("FFmpeg linked statically %v, but the binary asks for libavcodec.so %v: %v", static, shared, libs)
	}
	unused := []string{"libavdevice.", "libavfilter.", "libpostproc."}
	if static {
		unused = append(unused, "libavformat.", "libavutil.", "libswscale.", "libswresample.", "libvpx.")
	}
	for _, l := range libs {
		for _, u := range unused {
			if strings.HasPrefix(l, u) {
				t.Errorf("the binary loads %s (all: %v)", l, libs)
			}
		}
	}
}
