package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"syscall"
	"time"

	"mcu/codec"
)

// cpuTime is this process's user+system time so far (a variable so that a
// test can see when it is read).
var cpuTime = func() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// decodeAlone decodes every file with mcu's decoders, one after the other,
// and returns the CPU time it took (after start-up).
func decodeAlone(files []string) (time.Duration, error) {
	start := cpuTime()
	pcm := make([]int16, codec.MaxOpusSamples*codec.OpusChannels)
	for _, path := range files {
		in, err := codec.OpenInput(path)
		if err != nil {
			return 0, err
		}
		var vdec *codec.VideoDecoder
		var adec *codec.OpusDecoder
		if v := in.Video(); v != nil {
			if vdec, err = codec.NewVideoDecoder(v.VideoCodec); err != nil {
				return 0, err
			}
		} else if adec, err = codec.NewOpusDecoder(); err != nil {
			return 0, err
		}
		for {
			p, err := in.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return 0, err
			}
			if vdec != nil && p.Kind == codec.Video {
				if err := vdec.Send(p.Data, p.PTS); err != nil {
					return 0, err
				}
				if _, err := vdec.Drop(); err != nil {
					return 0, err
				}
			} else if adec != nil && p.Kind == codec.Audio {
				if _, err := adec.Decode(p.Data, pcm); err != nil {
					return 0, err
				}
			}
		}
		if vdec != nil {
			vdec.Close()
		}
		in.Close()
	}
	return cpuTime() - start, nil
}

// encodeAlone reads a YUV4MPEG2 composite into memory, then encodes it with
// mcu's VP8 settings, plus as many seconds of stereo Opus as the mix has,
// and returns the CPU time of the encoding alone.
func encodeAlone(path string, seconds int) (time.Duration, error) {
	frames, err := readY4M(path)
	if err != nil {
		return 0, err
	}
	cfg := codec.DefaultVP8Config()
	enc, err := codec.NewVP8Encoder(cfg)
	if err != nil {
		return 0, err
	}
	defer enc.Close()
	aenc, err := codec.NewOpusEncoder(codec.DefaultOpusConfig())
	if err != nil {
		return 0, err
	}
	pcm := make([]int16, 1920)
	for i := range 960 {
		v := int16(4000 * math.Sin(2*math.Pi*440*float64(i)/48000))
		pcm[2*i], pcm[2*i+1] = v, v
	}
	pic, err := enc.NewPicture()
	if err != nil {
		return 0, err
	}
	defer pic.Free()
	var spent time.Duration
	for i, f := range frames {
		// mcu mix paints its canvas in the encoder's input picture; here
		// the frame is copied there, untimed.
		if err := pic.Load(&f.YCbCr); err != nil {
			return 0, err
		}
		start := cpuTime()
		if _, err := enc.EncodePicture(pic, time.Duration(i)*time.Second/time.Duration(cfg.FPS), false); err != nil {
			return 0, err
		}
		spent += cpuTime() - start
	}
	start := cpuTime()
	for range seconds * 50 {
		if _, err := aenc.Encode(pcm); err != nil {
			return 0, err
		}
	}
	return spent + cpuTime() - start, nil
}

func readY4M(path string) ([]*codec.Frame, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	header, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	var w, h int
	for _, field := range strings.Fields(header) {
		switch field[0] {
		case 'W':
			fmt.Sscanf(field[1:], "%d", &w)
		case 'H':
			fmt.Sscanf(field[1:], "%d", &h)
		}
	}
	if w == 0 || h == 0 {
		return nil, fmt.Errorf("%s: no size in %q", path, header)
	}
	var frames []*codec.Frame
	for {
		if _, err := r.ReadString('\n'); err != nil {
			if errors.Is(err, io.EOF) {
				return frames, nil
			}
			return nil, err
		}
		fr := codec.NewFrame(w, h)
		cw, ch := (w+1)/2, (h+1)/2
		for _, p := range []struct {
			pix           []byte
			stride, pw, n int
		}{{fr.Y, fr.YStride, w, h}, {fr.Cb, fr.CStride, cw, ch}, {fr.Cr, fr.CStride, cw, ch}} {
			for row := range p.n {
				if _, err := io.ReadFull(r, p.pix[row*p.stride:row*p.stride+p.pw]); err != nil {
					return nil, err
				}
			}
		}
		frames = append(frames, fr)
	}
}
