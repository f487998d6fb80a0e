package mediatest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Onsets is when a file's picture first turns bright (mean luma over 128)
// and when its sound first becomes loud (a peak over -20 dBFS in a
// millisecond), as FFmpeg plays it (the Opus pre-skip taken off); -1 for
// one that never does. A clip that flashes and beeps at the same moment
// shows a file's audio and video sync by the two times' difference.
// t fails when ffprobe does.
func Onsets(t testing.TB, path string) (video, audio time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	video, audio, err := onsets(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	return video, audio
}

func onsets(ctx context.Context, path string) (video, audio time.Duration, err error) {
	video, audio = -1, -1
	esc := strings.ReplaceAll(path, ":", `\:`)
	frames, err := lavfiFrames(ctx, "movie="+esc+",signalstats")
	if err != nil {
		return video, audio, err
	}
	for _, f := range frames {
		if y, _ := strconv.ParseFloat(f.Tags["lavfi.signalstats.YAVG"], 64); y > 128 {
			video = f.at()
			break
		}
	}
	if frames, err = lavfiFrames(ctx, "amovie="+esc+",asetnsamples=n=48,astats=metadata=1:reset=1"); err != nil {
		return video, audio, err
	}
	for _, f := range frames {
		if l, err := strconv.ParseFloat(f.Tags["lavfi.astats.Overall.Peak_level"], 64); err == nil && l > -20 {
			audio = f.at()
			break
		}
	}
	return video, audio, nil
}

// lavfiFrame is one frame of a filter graph's output, with its tags.
type lavfiFrame struct {
	PTS  string            `json:"pts_time"`
	Tags map[string]string `json:"tags"`
}

func (f lavfiFrame) at() time.Duration {
	s, _ := strconv.ParseFloat(f.PTS, 64)
	return time.Duration(s * float64(time.Second))
}

// lavfiFrames runs graph (a source and its filters) through ffprobe and
// returns its frames' times and tags.
func lavfiFrames(ctx context.Context, graph string) ([]lavfiFrame, error) {
	out, err := ffprobe(ctx, "-f", "lavfi", "-i", graph, "-show_entries", "frame=pts_time:frame_tags")
	if err != nil {
		return nil, fmt.Errorf("ffprobe %s: %w", graph, err)
	}
	var p struct {
		Frames []lavfiFrame `json:"frames"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, fmt.Errorf("ffprobe %s: %w", graph, err)
	}
	return p.Frames, nil
}
