package mediatest

import (
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"sort"
	"time"
)

// Audio format of DecodeAudio's output.
const (
	AudioRate     = 48000
	AudioChannels = 2
)

// DecodeVideo decodes every frame of the first video stream of path with
// ffmpeg and returns the frames as 4:2:0 images with their presentation
// times, in output order. Frames keep their own size: a stream that changes
// resolution yields frames of several sizes.
//
// It runs two tools on the file: ffprobe lists each frame's size and time,
// then ffmpeg writes all frames as raw yuv420p at their native sizes
// (-autoscale 0), unturned as ffprobe sizes them (-autorotate 0), with no
// frame dropped or repeated (-fps_mode passthrough).
// The byte count must match the list exactly, or it is an error. The frames
// share one backing array, each using its own part of it.
func DecodeVideo(ctx context.Context, path string) ([]*image.YCbCr, []time.Duration, error) {
	infos, err := VideoFrames(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	size := 0
	for _, info := range infos {
		size += yuv420Size(info.Width, info.Height)
	}
	raw, err := ffmpeg(ctx, size, "-autorotate", "0", "-i", path, "-map", "0:v:0", "-autoscale", "0",
		"-fps_mode", "passthrough", "-pix_fmt", "yuv420p", "-f", "rawvideo", "-")
	if err != nil {
		return nil, nil, err
	}
	if len(raw) != size {
		return nil, nil, fmt.Errorf("mediatest: decode %s: %d bytes of raw video, want %d for %d frames", path, len(raw), size, len(infos))
	}
	frames := make([]*image.YCbCr, len(infos))
	pts := make([]time.Duration, len(infos))
	for i, info := range infos {
		n := yuv420Size(info.Width, info.Height)
		frames[i], pts[i] = yuv420(raw[:n:n], info.Width, info.Height), info.PTS
		raw = raw[n:]
	}
	return frames, pts, nil
}

// yuv420Size is the size of a packed yuv420p picture; odd sizes round
// the chroma planes up, as FFmpeg and image.YCbCr both do.
func yuv420Size(w, h int) int {
	return w*h + 2*((w+1)/2)*((h+1)/2)
}

// yuv420 wraps a packed yuv420p picture (Y, then Cb, then Cr) without
// copying it.
func yuv420(pix []byte, w, h int) *image.YCbCr {
	cw, ch := (w+1)/2, (h+1)/2
	ySize, cSize := w*h, cw*ch
	return &image.YCbCr{
		Y:              pix[:ySize:ySize],
		Cb:             pix[ySize : ySize+cSize : ySize+cSize],
		Cr:             pix[ySize+cSize : ySize+2*cSize : ySize+2*cSize],
		YStride:        w,
		CStride:        cw,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, w, h),
	}
}

// FrameAt returns the frame on screen at time t: the last one whose
// presentation time is not after t, or the first frame if t comes before
// all of them. pts must be sorted, as DecodeVideo returns it. It returns nil
// when there are no frames.
func FrameAt(frames []*image.YCbCr, pts []time.Duration, t time.Duration) *image.YCbCr {
	n := min(len(frames), len(pts))
	if n == 0 {
		return nil
	}
	i := sort.Search(n, func(i int) bool { return pts[i] > t })
	return frames[max(i-1, 0)]
}

// DecodeAudio decodes the first audio stream of path with ffmpeg to
// interleaved stereo 16-bit samples at 48 kHz (AudioRate, AudioChannels),
// resampling and remixing if the stream is otherwise.
func DecodeAudio(ctx context.Context, path string) ([]int16, error) {
	raw, err := ffmpeg(ctx, 0, "-i", path, "-map", "0:a:0", "-ac", fmt.Sprint(AudioChannels),
		"-ar", fmt.Sprint(AudioRate), "-c:a", "pcm_s16le", "-f", "s16le", "-")
	if err != nil {
		return nil, err
	}
	pcm := make([]int16, len(raw)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return pcm, nil
}
