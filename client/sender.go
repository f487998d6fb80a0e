package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"mcu/codec"
)

// loop sends the stream of kind from path on track, paced by the file's
// timestamps, starting over at the end, until ctx ends. Timestamps keep
// increasing across loops, as a camera's would. A period over 0 is the
// length of each loop (see sendOnce), for sound that loops with a picture.
func loop(ctx context.Context, path string, kind codec.MediaKind, track *webrtc.TrackLocalStaticSample, period time.Duration) error {
	start := time.Now()
	var offset time.Duration // media time of the start of this loop
	for {
		end, err := sendOnce(ctx, path, kind, track.WriteSample, start, offset, period)
		if err != nil {
			return err
		}
		if end <= 0 {
			return fmt.Errorf("client: %s holds no %v", path, kind)
		}
		offset += end
	}
}

// streamLength is the length of one loop of the stream of kind in path, as
// sendOnce sends it.
func streamLength(ctx context.Context, path string, kind codec.MediaKind) (time.Duration, error) {
	// A start long past: nothing waits.
	return sendOnce(ctx, path, kind, func(media.Sample) error { return nil }, time.Now().Add(-24*time.Hour), 0, 0)
}

// sendOnce sends the file once through write, each packet when the clock
// since start reaches offset plus its time, and returns the file's length.
// The samples' durations step the RTP clock as the packets are sent: a
// sound packet lasts what it codes, a picture up to the next one, and the
// last packet up to the next loop's first, which goes out after the
// stream's start in the file (its lead) again. A period over 0 is the
// loop's length instead: packets that would end after it are left out,
// and a stream shorter than it pauses until then. A microphone's sound,
// 3.06 s of Opus packets in a file beside a camera's 3 s, would otherwise
// drift from the picture by 60 ms a loop.
func sendOnce(ctx context.Context, path string, kind codec.MediaKind, write func(media.Sample) error, start time.Time, offset, period time.Duration) (time.Duration, error) {
	in, err := codec.OpenInput(path)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	frame := 20 * time.Millisecond
	if kind == codec.Video {
		frame = time.Second / 30
		if v := in.Video(); v != nil && v.FrameRate > 0 {
			frame = time.Duration(float64(time.Second) / v.FrameRate)
		}
	}
	n := -1              // packets read, of every kind
	first := codec.NoPTS // the first packet's time when before 0: the file's 0
	// next reads the stream's next packet, with its time in the file and
	// its duration.
	next := func() (codec.Packet, time.Duration, time.Duration, error) {
		for {
			p, err := in.Read()
			if err != nil {
				return codec.Packet{}, 0, 0, err
			}
			n++
			if p.Kind != kind {
				continue
			}
			pts := p.PTS
			if pts == codec.NoPTS {
				pts = time.Duration(n) * frame
			} else {
				// An Opus file's times start before 0 by the encoder's
				// pre-skip: counted from -6.5 ms, a loop would end that much
				// early, and each loop's packets go out ahead of their RTP time.
				// A stream that starts after 0 keeps its start (a file's video
				// may begin after its audio, and both loop on the file's time).
				if first == codec.NoPTS {
					first = min(pts, 0)
				}
				pts -= first
			}
			dur := p.Duration
			if kind == codec.Audio {
				// What the packet codes: an Ogg file's last one is given
				// less (the end trimmed to its granule position), and taken
				// as it is, the next loop's first packet would go out too
				// soon, its RTP time overlapping the last one's.
				if d, ok := codec.OpusPacketDuration(p.Data); ok {
					dur = d
				}
			}
			if dur <= 0 {
				dur = frame
			}
			// One that would end after the loop (more than a picture's
			// rounding) is left out: the next loop's first would
			// overlap it, more sound sent than time passes.
			if period > 0 && max(pts, 0)+dur > period+time.Millisecond {
				return codec.Packet{}, 0, 0, io.EOF
			}
			return p, max(pts, 0), dur, nil
		}
	}
	p, pts, dur, err := next()
	if errors.Is(err, io.EOF) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var sum, end time.Duration // the steps so far; the latest end of a packet
	hi := pts                  // the latest time of a picture so far
	var ahead time.Duration    // how far the steps went beyond the pictures' times
	for {
		q, qpts, qdur, err := next()
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		last := err != nil
		end = max(end, pts+dur)
		if last && period > 0 {
			end = period
		}
		step := dur
		switch {
		case last:
			// The loop's steps add up to its length, the time from its
			// first packet to the next loop's.
			if step = end - sum; step <= 0 {
				step = frame
			}
		case kind == codec.Audio: // what it codes
		default:
			// Up to the next picture: a container's durations are
			// rounded (33 ms a picture at 30 fps in WebM's milliseconds,
			// 30 ms short a loop), its times are not. A picture shown
			// before one sent earlier (B-frames, sent in decoding order)
			// still steps a millisecond, which the next picture beyond
			// the latest steps less: the stamps stay in order and near
			// the pictures' times.
			hi = max(hi, pts)
			gap := qpts - hi
			step = max(gap-ahead, time.Millisecond)
			ahead += step - max(gap, 0)
		}
		sum += step
		select {
		case <-time.After(time.Until(start.Add(offset + pts))):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		if err := write(media.Sample{Data: p.Data, Duration: step}); err != nil && !errors.Is(err, io.ErrClosedPipe) {
			return 0, err
		}
		if last {
			return end, nil
		}
		p, pts, dur = q, qpts, qdur
	}
}
