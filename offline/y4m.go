package offline

import (
	"bufio"
	"fmt"
	"image"
)

// y4mWriter writes 4:2:0 pictures as a YUV4MPEG2 stream.
type y4mWriter struct {
	w      *bufio.Writer
	header string
	wrote  bool
}

func newY4MWriter(w *bufio.Writer, width, height, fps int) *y4mWriter {
	return &y4mWriter{w: w, header: fmt.Sprintf("YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", width, height, fps)}
}

func (y *y4mWriter) write(img *image.YCbCr) error {
	if !y.wrote {
		y.wrote = true
		if _, err := y.w.WriteString(y.header); err != nil {
			return err
		}
	}
	if _, err := y.w.WriteString("FRAME\n"); err != nil {
		return err
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	for _, p := range []struct {
		pix          []byte
		stride, w, h int
	}{{img.Y, img.YStride, w, h}, {img.Cb, img.CStride, cw, ch}, {img.Cr, img.CStride, cw, ch}} {
		for r := range p.h {
			if _, err := y.w.Write(p.pix[r*p.stride : r*p.stride+p.w]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (y *y4mWriter) flush() error { return y.w.Flush() }
