package main

import (
	"fmt"
	"math"
	"strings"

	"mcu/codec"
	"mcu/layout"
)

// benchSource is the size of the busy clips.
var benchSource = layout.Size{W: 640, H: 360}

// graph is the FFmpeg CLI version of an mcu mix: same grid (from mcu's
// layout package), the same filters (a box filter where a tile is half its
// source or less, libyuv's in mcu and swscale's "area" here; bilinear
// otherwise), the audio summed and limited,
// the same VP8 settings (from mcu's codec package) and Opus bitrate.
type graph struct {
	videos, audios []string
	video, audio   string // the two halves of the filter graph
}

func ffmpegGraph(videos, audios []string) graph {
	cfg := codec.DefaultVP8Config()
	canvas := layout.Size{W: cfg.Width, H: cfg.Height}
	cells := layout.GridCells(len(videos), canvas)
	var f strings.Builder
	var pos []string
	minX, minY := canvas.W, canvas.H
	dsts := make([]layout.Rect, len(cells))
	for i, cell := range cells {
		dsts[i], _ = layout.Place(benchSource, cell, layout.Fit)
		minX, minY = min(minX, dsts[i].X), min(minY, dsts[i].Y)
	}
	for i, d := range dsts {
		filter := "bilinear"
		if d.W*2 <= benchSource.W && d.H*2 <= benchSource.H {
			filter = "area"
		}
		fmt.Fprintf(&f, "[%d:v]scale=%d:%d:flags=%s,setsar=1[v%d];", i, d.W, d.H, filter, i)
		pos = append(pos, fmt.Sprintf("%d_%d", d.X-minX, d.Y-minY))
	}
	for i := range dsts {
		fmt.Fprintf(&f, "[v%d]", i)
	}
	if len(dsts) == 1 {
		fmt.Fprintf(&f, "null,")
	} else {
		fmt.Fprintf(&f, "xstack=inputs=%d:layout=%s:fill=black,", len(dsts), strings.Join(pos, "|"))
	}
	fmt.Fprintf(&f, "pad=%d:%d:%d:%d:black,fps=%d[v]", canvas.W, canvas.H, minX, minY, cfg.FPS)
	var a strings.Builder
	for i := range audios {
		fmt.Fprintf(&a, "[%d:a]", len(videos)+i)
	}
	fmt.Fprintf(&a, "amix=inputs=%d:normalize=0:dropout_transition=0,alimiter=limit=0.89:attack=1.5:release=150:level=disabled[a]", len(audios))
	return graph{videos: videos, audios: audios, video: f.String(), audio: a.String()}
}

// inputs are the input options. With asMcu each input is decoded as mcu
// decodes it, on one thread, Opus by libopus (FFmpeg's own Opus decoder
// costs less), and the filter graph (the scaling, the grid, the audio
// mix) runs on one thread too: FFmpeg otherwise gives it a pool of as
// many threads as the machine has CPUs, whose hand-offs cost CPU time mcu
// does not spend.
func (g graph) inputs(asMcu bool) []string {
	args := []string{"-hide_banner", "-loglevel", "error", "-y"}
	if asMcu {
		args = append(args, "-filter_complex_threads", "1")
	}
	for _, in := range g.videos {
		if asMcu {
			args = append(args, "-threads", "1")
		}
		args = append(args, "-i", in)
	}
	for _, in := range g.audios {
		if asMcu {
			args = append(args, "-threads", "1", "-c:a", "libopus")
		}
		args = append(args, "-i", in)
	}
	return args
}

// args encodes to out with mcu's codec settings. sameThreads also keeps
// mcu's threading and decoders (inputs): one thread per decoder, one for
// the filters and one encoder thread; otherwise the threads and decoders
// are FFmpeg's default, as someone would run it.
func (g graph) args(out string, sameThreads bool) []string {
	args := append(g.inputs(sameThreads), "-filter_complex", g.video+";"+g.audio, "-map", "[v]", "-map", "[a]")
	venc := codec.DefaultVP8Config().FFmpegArgs()
	if !sameThreads {
		for i := 0; i+1 < len(venc); i++ {
			if venc[i] == "-threads" {
				venc = append(venc[:i:i], venc[i+2:]...)
				break
			}
		}
	}
	args = append(args, venc...)
	args = append(args, codec.DefaultOpusConfig().FFmpegArgs()...)
	return append(args, out)
}

// rawArgs writes the uncompressed composite.
func (g graph) rawArgs(out string) []string {
	return append(g.inputs(false), "-filter_complex", g.video, "-map", "[v]", "-f", "yuv4mpegpipe", "-pix_fmt", "yuv420p", out)
}

func mseToPSNR(mse float64) float64 {
	if mse <= 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}
