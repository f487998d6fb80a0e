//go:build cgo

package codec

import (
	"testing"
	"time"
)

// An H.264 sender whose stream said full range (VUI video_full_range_flag
// 1, as some hardware encoders write) and that then starts a new stream
// whose SPS says nothing of its range (as OpenH264 or x264's defaults
// write: limited, by the standard) must have the new stream's pictures
// come out as a fresh decoder gives them. FFmpeg keeps the old range in
// its context, and mcu maps the new, limited-range pictures as full.
func TestH264RangeNotInherited(t *testing.T) {
	src := "testsrc=size=320x180:rate=30"
	full := lavfiPictureAs(t, src, "full.h264", "-pix_fmt", "yuv420p", "-color_range", "pc", "-c:v", "libx264", "-f", "h264")
	plain := lavfiPictureAs(t, src, "plain.h264", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-f", "h264")
	alone := decodeOne(t, H264, plain.Data, nil)

	d := newTestDecoder(t, H264)
	var got []*Frame
	for i, b := range [][]byte{full.Data, plain.Data} {
		if err := d.Send(b, time.Duration(i)); err != nil {
			t.Fatal(err)
		}
		for {
			f := &Frame{}
			if ok, _ := d.Receive(f); !ok {
				break
			}
			got = append(got, f)
		}
	}
	d.Flush()
	for {
		f := &Frame{}
		if ok, _ := d.Receive(f); !ok {
			break
		}
		got = append(got, f)
	}
	if len(got) != 2 {
		t.Fatalf("%d pictures, want 2", len(got))
	}
	if p := psnr(t, &got[1].YCbCr, &alone.YCbCr); p < 60 {
		g := got[1]
		t.Errorf("the limited-range stream after a full-range one: PSNR %.1f dB against a fresh decoder's picture; Y at (160,90) %d, fresh %d",
			p, g.Y[90*g.YStride+160], alone.Y[90*alone.YStride+160])
	}
}

// Each H.264 stream's pictures are mapped by its own SPS's range: a
// full-range one, then a limited one, then the full-range one again.
func TestH264FullRangeMapped(t *testing.T) {
	src := "color=c=black:size=320x180:rate=30"
	full := lavfiPictureAs(t, src, "full.h264", "-pix_fmt", "yuv420p", "-color_range", "pc", "-c:v", "libx264", "-f", "h264")
	plain := lavfiPictureAs(t, src, "plain.h264", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-f", "h264")
	d := newTestDecoder(t, H264)
	var got []*Frame
	for i, b := range [][]byte{full.Data, plain.Data, full.Data} {
		if err := d.Send(b, time.Duration(i)); err != nil {
			t.Fatal(err)
		}
		for {
			f := &Frame{}
			if ok, _ := d.Receive(f); !ok {
				break
			}
			got = append(got, f)
		}
	}
	d.Flush()
	for {
		f := &Frame{}
		if ok, _ := d.Receive(f); !ok {
			break
		}
		got = append(got, f)
	}
	if len(got) != 3 {
		t.Fatalf("%d pictures", len(got))
	}
	// The clips code Y 16 (the CLI does not convert the range): marked
	// full range that is dark grey, 30 in video range; unmarked, black.
	for i, want := range []int{30, 16, 30} {
		f := got[i]
		if y := int(f.Y[90*f.YStride+160]); y < want-1 || y > want+1 {
			t.Errorf("picture %d: Y %d, want %d", i, y, want)
		}
	}
	alone := decodeOne(t, H264, full.Data, nil)
	if y := int(alone.Y[90*alone.YStride+160]); y < 29 || y > 31 {
		t.Errorf("the full-range picture alone: Y %d, want 30", y)
	}
}
