// Package mediatest checks media by independent means, for tests.
//
// mcu decodes, mixes and encodes with FFmpeg's libraries through cgo. Tests
// must not trust that same code to judge its own output, so this package
// shells out to the ffmpeg and ffprobe command-line tools instead (with
// exec.CommandContext and a timeout) and does the arithmetic in plain Go:
// PSNR, median colours, tone levels.
//
// The participants of the committed test clips are described by
// testdata/participants.tsv at the module root; Participants loads it.
// Colours are compared in Y'CbCr as ffmpeg produces it for these clips:
// BT.601, limited ("TV") range, 4:2:0.
package mediatest
