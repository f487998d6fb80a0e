package mediatest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Probe is what ffprobe says about a file's container and streams.
type Probe struct {
	FormatName string        // e.g. "ivf", "h264", "ogg", "matroska,webm"
	Duration   time.Duration // 0 when unknown (raw H.264 has none)
	Streams    []Stream
}

// Stream is one stream of a probed file. Fields that do not apply to the
// stream's type, or that the container does not record, are zero.
type Stream struct {
	Index      int
	CodecType  string // "video" or "audio"
	CodecName  string // e.g. "vp8", "h264", "opus"
	Width      int    // size given by the stream header (the first frame's)
	Height     int
	FrameRate  float64 // r_frame_rate, frames per second
	SampleRate int
	Channels   int
	NbFrames   int // from the container header; CountFrames decodes instead
	Duration   time.Duration
	// Start is the stream's first time (start_time); HasStart is false
	// when ffprobe gives none.
	Start    time.Duration
	HasStart bool
	// A video stream's profile ("Constrained Baseline"), and its colours
	// as the stream says them ("" where it does not): matrix, primaries,
	// transfer and range ("tv", "pc").
	Profile                                   string
	ColorSpace, ColorPrimaries, ColorTransfer string
	ColorRange                                string
	// Default: the container marks the track as one to play by default
	// (Matroska's FlagDefault).
	Default bool
}

// Video returns the first video stream.
func (p Probe) Video() (Stream, bool) { return p.first("video") }

// Audio returns the first audio stream.
func (p Probe) Audio() (Stream, bool) { return p.first("audio") }

func (p Probe) first(codecType string) (Stream, bool) {
	for _, s := range p.Streams {
		if s.CodecType == codecType {
			return s, true
		}
	}
	return Stream{}, false
}

// ProbeFile runs ffprobe on path and reports its format and streams. A file
// ffprobe cannot read as media is an error.
//
// DecodeAudio counts its samples from the audio's first, whatever its
// time: a test of where the sound is against the picture checks the
// streams' Start too (AVStart).
func ProbeFile(ctx context.Context, path string) (Probe, error) {
	out, err := ffprobe(ctx, "-show_format", "-show_streams", path)
	if err != nil {
		return Probe{}, err
	}
	var raw struct {
		Format struct {
			FormatName string `json:"format_name"`
			Duration   string `json:"duration"`
		} `json:"format"`
		Streams []struct {
			Index       int    `json:"index"`
			CodecType   string `json:"codec_type"`
			CodecName   string `json:"codec_name"`
			Width       int    `json:"width"`
			Height      int    `json:"height"`
			RFrameRate  string `json:"r_frame_rate"`
			SampleRate  string `json:"sample_rate"`
			Channels    int    `json:"channels"`
			NbFrames    string `json:"nb_frames"`
			Duration    string `json:"duration"`
			StartTime   string `json:"start_time"`
			Profile     string `json:"profile"`
			ColorSpace  string `json:"color_space"`
			Primaries   string `json:"color_primaries"`
			Transfer    string `json:"color_transfer"`
			ColorRange  string `json:"color_range"`
			Disposition struct {
				Default int `json:"default"`
			} `json:"disposition"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return Probe{}, fmt.Errorf("mediatest: ffprobe %s: %w", path, err)
	}
	if len(raw.Streams) == 0 {
		return Probe{}, fmt.Errorf("mediatest: ffprobe %s: no streams", path)
	}
	p := Probe{FormatName: raw.Format.FormatName, Duration: seconds(raw.Format.Duration)}
	for _, s := range raw.Streams {
		p.Streams = append(p.Streams, Stream{
			Index:      s.Index,
			CodecType:  s.CodecType,
			CodecName:  s.CodecName,
			Width:      s.Width,
			Height:     s.Height,
			FrameRate:  ratio(s.RFrameRate),
			SampleRate: atoi(s.SampleRate),
			Channels:   s.Channels,
			NbFrames:   atoi(s.NbFrames),
			Duration:   seconds(s.Duration),
			Start:      seconds(s.StartTime),
			HasStart:   s.StartTime != "" && s.StartTime != "N/A",
			Profile:    s.Profile, ColorSpace: s.ColorSpace, ColorPrimaries: s.Primaries,
			ColorTransfer: s.Transfer, ColorRange: s.ColorRange,
			Default: s.Disposition.Default == 1,
		})
	}
	return p, nil
}

// CountFrames decodes the first video stream of path with ffprobe and
// returns how many frames came out.
func CountFrames(ctx context.Context, path string) (int, error) {
	out, err := ffprobe(ctx, "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames", path)
	if err != nil {
		return 0, err
	}
	var raw struct {
		Streams []struct {
			NbReadFrames string `json:"nb_read_frames"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return 0, fmt.Errorf("mediatest: ffprobe %s: %w", path, err)
	}
	if len(raw.Streams) == 0 {
		return 0, fmt.Errorf("mediatest: %s has no video stream", path)
	}
	return atoi(raw.Streams[0].NbReadFrames), nil
}

// FrameInfo describes one decoded video frame.
type FrameInfo struct {
	PTS           time.Duration
	Width, Height int
	Key           bool
}

// defaultFrameRate times the frames of a stream that has neither timestamps
// nor a frame rate. Every clip of ours is 30 fps.
const defaultFrameRate = 30

// VideoFrames decodes the first video stream of path with ffprobe and
// describes every frame in output order. Frames without a timestamp (a raw
// H.264 stream has none) are placed one frame period after the previous
// one, using the stream's frame rate.
func VideoFrames(ctx context.Context, path string) ([]FrameInfo, error) {
	out, err := ffprobe(ctx, "-select_streams", "v:0", "-show_entries",
		"stream=r_frame_rate:frame=best_effort_timestamp_time,width,height,key_frame", path)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Streams []struct {
			RFrameRate string `json:"r_frame_rate"`
		} `json:"streams"`
		Frames []struct {
			Time     string `json:"best_effort_timestamp_time"`
			Width    int    `json:"width"`
			Height   int    `json:"height"`
			KeyFrame int    `json:"key_frame"`
		} `json:"frames"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("mediatest: ffprobe %s: %w", path, err)
	}
	if len(raw.Streams) == 0 {
		return nil, fmt.Errorf("mediatest: %s has no video stream", path)
	}
	fps := ratio(raw.Streams[0].RFrameRate)
	if fps <= 0 {
		fps = defaultFrameRate
	}
	frames := make([]FrameInfo, len(raw.Frames))
	var base time.Duration // last timestamp seen
	baseIndex := 0         // index of the frame that had it
	for i, f := range raw.Frames {
		frames[i] = FrameInfo{Width: f.Width, Height: f.Height, Key: f.KeyFrame == 1}
		if f.Time != "" && f.Time != "N/A" {
			base, baseIndex = seconds(f.Time), i
		}
		frames[i].PTS = base + time.Duration(math.Round(float64(i-baseIndex)*float64(time.Second)/fps))
	}
	return frames, nil
}

// seconds parses ffprobe's decimal seconds; "N/A" or "" give 0.
func seconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return time.Duration(math.Round(f * float64(time.Second)))
}

// ratio parses ffprobe's "num/den"; "0/0" or garbage give 0.
func ratio(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		return 0
	}
	n, err1 := strconv.ParseFloat(num, 64)
	d, err2 := strconv.ParseFloat(den, 64)
	if err := errors.Join(err1, err2); err != nil || d == 0 {
		return 0
	}
	return n / d
}

// atoi parses an optional integer field; absent or "N/A" gives 0.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// AVStart reports how far a file's audio starts after its video, by their
// streams' first times: within a few milliseconds for a file whose sound
// and picture start together (a WebM's Opus may start before 0 by its
// codec delay, rounded to the millisecond). ok is false without both
// streams and their times.
func (p Probe) AVStart() (d time.Duration, ok bool) {
	v, okv := p.Video()
	a, oka := p.Audio()
	if !okv || !oka || !v.HasStart || !a.HasStart {
		return 0, false
	}
	return a.Start - v.Start, true
}
