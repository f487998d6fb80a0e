package main

import (
	"debug/elf"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestLinksOnlyUsedLibraries checks the binary built the Makefile's way
// (lld, --gc-sections, --as-needed, FFmpeg and libvpx static with
// -tags static_codecs) loads none of the libraries mcu never calls. Linked
// against Debian's shared FFmpeg, libavdevice and libavfilter alone bring
// ~80 more libraries and ~16 MB of resident memory, and libavcodec's own
// dependencies (x265, librsvg, ...) as many again.
func TestLinksOnlyUsedLibraries(t *testing.T) {
	if !strings.Contains(os.Getenv("CGO_LDFLAGS"), "--as-needed") {
		t.Skip("not built by make (CGO_LDFLAGS without --as-needed)")
	}
	static := strings.Contains(os.Getenv("GOFLAGS"), "static_codecs")
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
		t.Fatalf("static_codecs %v, but the binary loads libavcodec %v: %v", static, shared, libs)
	}
	unused := []string{"libavdevice.", "libavfilter.", "libpostproc.", "libx264.", "libx265.", "librsvg"}
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
