// Package codec holds every cgo wrapper of mcu: video decoding (VP8, VP9,
// H.264, AV1) and the VP8 encoder through FFmpeg (go-astiav), picture scaling
// (libyuv's box filter to half size or less, shrink.c's to two thirds,
// libswscale for other ratios and pixel formats), Opus through libopus
// (hraban/opus.v2), and reading media files through libavformat.
//
// What leaves the package is plain Go: a decoded picture is a [Frame] in Go
// memory (YUV 4:2:0), a compressed one an [EncodedFrame]. No FFmpeg object
// crosses a goroutine: each wrapper owns its C objects, frees them exactly once
// in Close, and must be used by one goroutine at a time.
package codec
