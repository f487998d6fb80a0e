package codec

import "image"

// Rotate turns src clockwise by degrees (90, 180 or 270; anything else
// copies) into dst, resized to the turned size. Both are 4:2:0; chroma
// turns with luma, exactly when the sizes are even. dst's PTS, Seq and
// Arrival are src's, and its source size is src's, turned.
func Rotate(dst, src *Frame, degrees int) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	quarter := degrees == 90 || degrees == 270
	tw, th := w, h
	if quarter {
		tw, th = h, w
	}
	dst.Resize(tw, th)
	// turn fills plane d (stride ds) with plane s (stride ss, w×h)
	// turned: d's pixel (x, y) is s's at start + x*dx + y*dy.
	turn := func(d []byte, ds int, s []byte, ss, w, h int) {
		dw, dh := w, h
		start, dx, dy := 0, 1, ss
		switch degrees {
		case 90: // (y, h-1-x)
			dw, dh = h, w
			start, dx, dy = (h-1)*ss, -ss, 1
		case 180: // (w-1-x, h-1-y)
			start, dx, dy = (h-1)*ss+w-1, -1, -ss
		case 270: // (w-1-y, x)
			dw, dh = h, w
			start, dx, dy = w-1, ss, -1
		}
		for y := range dh {
			row := d[y*ds : y*ds+dw]
			i := start + y*dy
			for x := range row {
				row[x] = s[i]
				i += dx
			}
		}
	}
	sy, scb, scr := planes(&src.YCbCr)
	dy, dcb, dcr := planes(&dst.YCbCr)
	turn(dy, dst.YStride, sy, src.YStride, w, h)
	cw, ch := (w+1)/2, (h+1)/2
	turn(dcb, dst.CStride, scb, src.CStride, cw, ch)
	turn(dcr, dst.CStride, scr, src.CStride, cw, ch)
	dst.PTS, dst.Seq, dst.Arrival = src.PTS, src.Seq, src.Arrival
	dst.SourceWidth, dst.SourceHeight = src.SourceWidth, src.SourceHeight
	if quarter {
		dst.SourceWidth, dst.SourceHeight = src.SourceHeight, src.SourceWidth
	}
}

// planes are img's three planes from its top-left pixel.
func planes(img *image.YCbCr) (y, cb, cr []byte) {
	return img.Y[img.YOffset(img.Rect.Min.X, img.Rect.Min.Y):],
		img.Cb[img.COffset(img.Rect.Min.X, img.Rect.Min.Y):],
		img.Cr[img.COffset(img.Rect.Min.X, img.Rect.Min.Y):]
}
