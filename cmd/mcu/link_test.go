package main

import (
	"debug/elf"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestLinksOnlyUsedLibraries checks the binary built the Makefile's way
// (lld, --gc-sections, --as-needed) loads none of the FFmpeg libraries mcu
// never calls: libavdevice and libavfilter alone bring ~80 more libraries
// and ~16 MB of resident memory.
func TestLinksOnlyUsedLibraries(t *testing.T) {
	if !strings.Contains(os.Getenv("CGO_LDFLAGS"), "--as-needed") {
		t.Skip("not built by make (CGO_LDFLAGS without --as-needed)")
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
	if !slices.ContainsFunc(libs, func(l string) bool { return strings.HasPrefix(l, "libavcodec.") }) {
		t.Fatalf("the binary does not load libavcodec: %v", libs)
	}
	for _, l := range libs {
		for _, unused := range []string{"libavdevice.", "libavfilter.", "libpostproc."} {
			if strings.HasPrefix(l, unused) {
				t.Errorf("the binary loads %s, which mcu never calls (all: %v)", l, libs)
			}
		}
	}
}
