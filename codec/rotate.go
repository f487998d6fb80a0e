package codec

import "image"

// Rotate turns src clockwise by degrees (90, 180 or 270; anything else
// copies) into dst, resized to the turned size. Both are 4:2:0; chroma
// turns with luma, exactly when the sizes are even. dst's PTS, Seq and
// Arrival are src's, and its source size is src's, turned.
func Rotate(dst, src *Frame, degrees int) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	tw, th := w, h
	if degrees == 90 || degrees == 270 {
		tw, th = h, w
	}
	dst.Resize(tw, th)
	// turn fills plane d (stride ds) with plane s (stride ss, w×h)
	// turned: each of d's pixels (x, y) from s's (sx, sy).
	turn := func(d []byte, ds int, s []byte, ss, w, h int) {
		dw, dh := w, h
		if degrees == 90 || degrees == 270 {
			dw, dh = h, w
		}
		for y := range dh {
			row := d[y*ds : y*ds+dw]
			for x := range row {
				var sx, sy int
				switch degrees {
				case 90:
					sx, sy = y, h-1-x
				case 180:
					sx, sy = w-1-x, h-1-y
				case 270:
					sx, sy = w-1-y, x
				default:
					sx, sy = x, y
				}
				row[x] = s[sy*ss+sx]
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
	if degrees == 90 || degrees == 270 {
		dst.SourceWidth, dst.SourceHeight = src.SourceHeight, src.SourceWidth
	}
}

// planes are img's three planes from its top-left pixel.
func planes(img *image.YCbCr) (y, cb, cr []byte) {
	return img.Y[img.YOffset(img.Rect.Min.X, img.Rect.Min.Y):],
		img.Cb[img.COffset(img.Rect.Min.X, img.Rect.Min.Y):],
		img.Cr[img.COffset(img.Rect.Min.X, img.Rect.Min.Y):]
}
