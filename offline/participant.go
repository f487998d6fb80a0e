package offline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"mcu/codec"
)

// Participant is one person of an offline mix: a file with their picture, a
// file with their sound, or one file with both (any may be missing, not
// both).
type Participant struct {
	Name  string // shown when there is no picture; defaults to the file name
	Video string // path of the file whose video stream is used, or ""
	Audio string // path of the file whose Opus stream is used, or ""
	// Content: its video is shared content, a screen or slides
	// (mixer.Participant.Content): shown large, whole, in the speaker
	// layout, which a mix with one takes.
	Content bool

	// Skipped names the streams of its files that are not read, of a kind
	// (picture, sound) the participant gets from none of them, as
	// "cam.mp4: audio aac": the caller should say so.
	Skipped []string
	// Unused names the streams mcu reads that go unused because the
	// other file of the pair gives that kind, as "cam.webm: audio" (its
	// sound, where mic.ogg's is taken).
	Unused []string
	// Relabelled names the files whose header names another codec than
	// their frames are in, and says what they are read as.
	Relabelled []string

	videoInfo, audioInfo codec.StreamInfo
	length               time.Duration
	doubts               []string // what looks damaged in its timing (measure)
	cut                  []string // its files that look cut short, and how (measure)
}

// splitParticipant is the files of a participant argument: the argument
// itself when it names a file, else its two sides around the one "+" where
// both name files (a file name may hold a "+"), else every piece between
// "+"s, whose missing ones then fail by name.
func splitParticipant(arg string) ([]string, error) {
	_, err := os.Stat(arg)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(arg, "+") {
		return []string{arg}, nil // a file, or an error OpenInput names
	}
	var pairs [][]string
	for i, c := range arg {
		if c != '+' {
			continue
		}
		a, b := arg[:i], arg[i+1:]
		if exists(a) && exists(b) {
			pairs = append(pairs, []string{a, b})
		}
	}
	switch len(pairs) {
	case 0:
		parts := strings.Split(arg, "+")
		if len(parts) > 2 && !slices.ContainsFunc(parts, func(p string) bool { return !exists(p) }) {
			return nil, fmt.Errorf("%q: %d files for one participant, want VIDEO, AUDIO or VIDEO+AUDIO", arg, len(parts))
		}
		return parts, nil // missing ones then fail by name
	case 1:
		return pairs[0], nil
	}
	return nil, fmt.Errorf("%q: splits into two files at more than one \"+\" (%q and %q, %q and %q)", arg, pairs[0][0], pairs[0][1], pairs[1][0], pairs[1][1])
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ParseParticipant reads a command-line participant: VIDEO, AUDIO or
// VIDEO+AUDIO. Files are recognised by content, so "a.webm" alone gives both
// picture and sound, and the order around "+" does not matter.
func ParseParticipant(arg string) (Participant, error) {
	parts, err := splitParticipant(arg)
	if err != nil {
		return Participant{}, err
	}
	var p Participant
	var skipped [][2]string // file, stream ("audio aac")
	type file struct {
		path string
		st   os.FileInfo
		v, a *codec.StreamInfo
	}
	var files []file
	for _, path := range parts {
		if path == "" {
			return Participant{}, fmt.Errorf("%q: empty file name", arg)
		}
		// A pipe or a device would be read once and then block: each
		// input is opened more than once (to recognise it, measure it,
		// then decode it).
		st, err := os.Stat(path)
		if err == nil && !st.Mode().IsRegular() {
			return Participant{}, fmt.Errorf("%s: not a regular file (mcu mix reads each input more than once)", path)
		}
		for _, f := range files {
			if st != nil && f.st != nil && os.SameFile(st, f.st) {
				return Participant{}, fmt.Errorf("%q: names the same file twice", arg)
			}
		}
		in, err := codec.OpenInput(path)
		if err != nil {
			return Participant{}, err
		}
		if r := in.Relabelled(); r != "" {
			p.Relabelled = append(p.Relabelled, path+": "+r)
		}
		for _, s := range in.Skipped() {
			skipped = append(skipped, [2]string{path, s})
		}
		files = append(files, file{path, st, in.Video(), in.Audio()})
		in.Close()
	}
	// Each kind from the one file that has it; of two that do, from the
	// one that has nothing else (a camera's WebM with its own sound, and a
	// microphone's Ogg: the Ogg's sound).
	pick := func(kind string, has, other func(file) bool) (*file, error) {
		var all, only []file
		for _, f := range files {
			if has(f) {
				all = append(all, f)
				if !other(f) {
					only = append(only, f)
				}
			}
		}
		switch {
		case len(all) == 0:
			return nil, nil
		case len(all) == 1:
			return &all[0], nil
		case len(only) == 1:
			for _, f := range all {
				if f.path != only[0].path {
					p.Unused = append(p.Unused, f.path+": "+kind)
				}
			}
			return &only[0], nil
		}
		return nil, fmt.Errorf("%q: two %s files (%s, %s) for one participant", arg, kind, all[0].path, all[1].path)
	}
	hasVideo := func(f file) bool { return f.v != nil }
	hasAudio := func(f file) bool { return f.a != nil }
	video, err := pick("video", hasVideo, hasAudio)
	if err != nil {
		return Participant{}, err
	}
	audio, err := pick("audio", hasAudio, hasVideo)
	if err != nil {
		return Participant{}, err
	}
	if video != nil {
		p.Video, p.videoInfo = video.path, *video.v
	}
	if audio != nil {
		p.Audio, p.audioInfo = audio.path, *audio.a
	}
	for _, s := range skipped {
		// A stream mcu could read, left out for being its file's second
		// of a kind (a second voice, a second camera), is said whatever
		// the participant has: someone may be missing from the mix.
		second := s[1] == "audio opus" || s[1] == "video vp8" || s[1] == "video vp9" || s[1] == "video av1" || s[1] == "video h264"
		if strings.HasPrefix(s[1], "video ") && (p.Video == "" || second) || strings.HasPrefix(s[1], "audio ") && (p.Audio == "" || second) {
			p.Skipped = append(p.Skipped, s[0]+": "+s[1])
		}
	}
	first := p.Video
	if first == "" {
		first = p.Audio
	}
	p.Name = strings.TrimSuffix(filepath.Base(first), filepath.Ext(first))
	return p, nil
}

// files names the participant's files, as on the command line.
func (p *Participant) files() string {
	switch {
	case p.Video == "":
		return p.Audio
	case p.Audio == "" || p.Audio == p.Video:
		return p.Video
	}
	return p.Video + "+" + p.Audio
}

// measure finds how long the participant's media lasts by reading (not
// decoding) the files: the end of the last packet. It stops early, with
// ctx's error, when ctx ends. Timing that looks damaged is noted in
// doubts.
func (p *Participant) measure(ctx context.Context) error {
	var lengths [2]time.Duration // video, audio
	pictures := 0
	for i, f := range []struct {
		path string
		kind codec.MediaKind
		fps  float64
	}{{p.Video, codec.Video, p.videoInfo.FrameRate}, {p.Audio, codec.Audio, 0}} {
		if f.path == "" {
			continue
		}
		d, n, cut, err := mediaLength(ctx, f.path, f.kind, f.fps)
		if err != nil {
			return err
		}
		if cut != "" && (i == 0 || f.path != p.Video) { // a file with both, once
			p.cut = append(p.cut, f.path+": "+cut)
		}
		lengths[i] = d
		if f.kind == codec.Video {
			pictures = n
		}
	}
	// To the microsecond: a length a few nanoseconds past a tick, from
	// packet durations rounded to the nanosecond (raw H.264 at 15 fps:
	// 45 × 66666667 ns), would add a picture to the mix.
	p.length = max(lengths[0], lengths[1]).Round(time.Microsecond)
	p.doubts = timingDoubts(pictures, lengths[0], lengths[1])
	return nil
}

// Pictures at a rate outside these, on average over a clip of
// doubtPictures or more, are taken for a damaged time base (an IVF
// header's, a container's): a header of 1/1 instead of 1/30 makes a 3 s
// clip last 90 s, 30/1 makes it 45 minutes, 1/30000 shows it in 3 ms.
// Screen shares may send a picture every few seconds; none sends more
// than maxPictureRate.
const (
	doubtPictures    = 10
	maxPictureRate   = 240.0
	maxPictureGap    = 10 * time.Second
	doubtLengthRatio = 4
	doubtLengthDiff  = 10 * time.Second
)

// timingDoubts says what looks damaged in the timing of a participant's
// media: its pictures (that many over videoLen) coming too fast or too
// slowly, or its picture and sound of very different lengths (the mix
// lasts as long as the longest).
func timingDoubts(pictures int, videoLen, audioLen time.Duration) []string {
	var doubts []string
	if pictures >= doubtPictures {
		switch rate := float64(pictures) / videoLen.Seconds(); {
		case videoLen <= 0 || rate > maxPictureRate:
			doubts = append(doubts, fmt.Sprintf("its %d pictures span %v (over %.0f a second): the tile shows only some of them", pictures, videoLen, maxPictureRate))
		case videoLen/time.Duration(pictures) > maxPictureGap:
			doubts = append(doubts, fmt.Sprintf("its %d pictures span %v (one every %v)", pictures, videoLen.Round(time.Millisecond), (videoLen/time.Duration(pictures)).Round(time.Millisecond)))
		}
	}
	if videoLen > 0 && audioLen > 0 {
		long, short := max(videoLen, audioLen), min(videoLen, audioLen)
		if long > doubtLengthRatio*short && long-short > doubtLengthDiff {
			doubts = append(doubts, fmt.Sprintf("its picture lasts %v and its sound %v", videoLen.Round(time.Millisecond), audioLen.Round(time.Millisecond)))
		}
	}
	return doubts
}

// mediaLength is the end of the last packet of kind in the file at path,
// and the number of its packets, and how the file looks cut short, if it
// does.
func mediaLength(ctx context.Context, path string, kind codec.MediaKind, fps float64) (time.Duration, int, string, error) {
	in, err := codec.OpenInput(path)
	if err != nil {
		return 0, 0, "", err
	}
	defer in.Close()
	if fps <= 0 || fps > 240 {
		fps = 30
	}
	frame := time.Duration(float64(time.Second) / fps)
	var end, all time.Duration                   // of kind, and of every stream
	audioEnd := time.Duration(math.MinInt64 / 2) // where the sound read so far ends, as fileAudio places it
	count := 0
	for {
		if err := ctx.Err(); err != nil {
			return 0, 0, "", err
		}
		p, err := in.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			break // the decoder stops there too, with a warning
		}
		if p.PTS != codec.NoPTS {
			all = max(all, p.PTS+p.Duration)
		}
		if p.Kind != kind {
			continue
		}
		count++
		dur := p.Duration
		if dur <= 0 {
			dur = frame
			if kind == codec.Audio {
				dur = 20 * time.Millisecond
			}
		}
		if kind == codec.Audio && p.SkipEnd > 0 {
			// The end the container trims (Matroska's DiscardPadding;
			// an Ogg's last packet comes with its duration trimmed
			// already): the decoder drops it too.
			if full, ok := codec.OpusPacketDuration(p.Data); ok {
				dur = max(0, min(dur, full-time.Duration(p.SkipEnd)*time.Second/codec.OpusSampleRate))
			}
		}
		switch {
		case p.PTS == codec.NoPTS:
			end = max(end, time.Duration(count)*dur)
		case kind == codec.Audio:
			// The sound is decoded in the order of its packets, a gap
			// before a packet filled, and one behind (its time damaged
			// backwards, or a damaged run at the start that set the
			// file's start time) played after the one before: it ends
			// where the last packet does, so placed.
			audioEnd = max(audioEnd, p.PTS) + dur
			end = max(end, audioEnd)
		default:
			end = max(end, p.PTS+dur)
		}
	}
	return end, count, in.CutShort(max(all, end)), nil
}
