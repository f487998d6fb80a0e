//go:build cgo

package recorder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/asticode/go-astiav"

	"mcu/codec"
	"mcu/internal/diskspace"
)

// A recording whose process was killed plays up to its last cluster, but
// its writer never wrote what ends the file: the Segment's size, the
// Duration, the Cues. Players then cannot seek in it (Chromium takes it
// for a live stream, Firefox guesses a length from what it has loaded and
// shows the wrong pictures after a seek). Finish writes such a file again
// through a WebMWriter, which ends it as a stopped recording is ended.

// finishingSuffix names the file a recording is finished into, beside it,
// before it takes the recording's place.
const finishingSuffix = ".finishing"

// Unfinished reports whether the WebM file at path was never finalized: its
// Segment's size is still the "unknown" a writer starts with.
func Unfinished(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("recorder: %w", err)
	}
	defer f.Close()
	head := make([]byte, 64)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, nil // too short to be a recording
	}
	return unfinishedHead(head[:n]), nil
}

// unfinishedHead reads the start of a WebM file: the EBML header, then the
// Segment's ID and its size, all ones (unknown) until the file is
// finalized.
func unfinishedHead(b []byte) bool {
	if len(b) < 5 || string(b[:4]) != "\x1a\x45\xdf\xa3" {
		return false
	}
	size, n := vint(b[4:])
	at := 4 + n + int(size)
	if n == 0 || size > uint64(len(b)) || at+4 > len(b) || string(b[at:at+4]) != "\x18\x53\x80\x67" {
		return false
	}
	mark := b[at+4:]
	if len(mark) == 0 || mark[0] == 0 {
		return false
	}
	// A size of w bytes whose value bits are all ones.
	w := 1
	for m := byte(0x80); mark[0]&m == 0; m >>= 1 {
		w++
	}
	if len(mark) < w || mark[0] != 0xff>>(w-1) {
		return false
	}
	for _, c := range mark[1:w] {
		if c != 0xff {
			return false
		}
	}
	return true
}

// vint reads an EBML variable-size integer (its marker bit taken off).
func vint(b []byte) (uint64, int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	n, mask := 1, byte(0x80)
	for ; b[0]&mask == 0; mask >>= 1 {
		n++
	}
	if len(b) < n {
		return 0, 0
	}
	v := uint64(b[0] & (mask - 1))
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}

// Finish writes src, a recording its writer never finalized, through the
// WebMWriter w makes, as a recording is written: the same pictures and
// sound at the same times, up to the last whole block of src, and then
// the Duration and Cues. w is closed when Finish returns.
func Finish(ctx context.Context, src string, w func(WebMConfig) (*WebMWriter, error)) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("recorder: finish %s: %w", src, err)
		}
	}()
	fc := astiav.AllocFormatContext()
	if fc == nil {
		return errors.New("allocate a format context")
	}
	if err := fc.OpenInput("file:"+src, nil, nil); err != nil {
		fc.Free() // FFmpeg freed it already and left nil: nothing to do, as codec.Input does
		if errors.Is(err, astiav.ErrEof) {
			// The header alone, or cut short: killed before its first
			// cluster reached the disk, the file holds no frame.
			return errNoFrame
		}
		return err
	}
	defer fc.CloseInput() // also frees the context
	video, audio := -1, -1
	cfg := WebMConfig{NoAudio: true}
	var audioDelay time.Duration
	for _, s := range fc.Streams() {
		cp := s.CodecParameters()
		switch {
		case cp.CodecID() == astiav.CodecIDVp8 && video < 0 && s.Index() == 0 && labelledAsMix(cp):
			video = s.Index()
			cfg.Width, cfg.Height = cp.Width(), cp.Height()
			if r := s.AvgFrameRate(); r.Num() > 0 && r.Den() > 0 {
				cfg.FPS = (r.Num() + r.Den()/2) / r.Den()
			}
		case cp.CodecID() == astiav.CodecIDOpus && audio < 0 && s.Index() == 1 && bytes.Equal(cp.ExtraData(), codec.OpusHead()):
			audio, cfg.NoAudio = s.Index(), false
			// The demuxer gives Opus times less the codec delay, rounded
			// to the track's time base; the muxer adds it again.
			audioDelay = at(astiav.RescaleQ(int64(codec.OpusPreSkip), astiav.NewRational(1, codec.OpusSampleRate), s.TimeBase()), s.TimeBase())
		default:
			// Not a file of mcu's (a VP8 track and an Opus one): what
			// the writer would leave out or write its own way (another
			// track, Vorbis sound, another OpusHead, pictures labelled
			// other than BT.601) would be lost.
			return fmt.Errorf("track %d (%s) is not one a recording has: left as it is", s.Index(), cp.CodecID())
		}
	}
	if video < 0 {
		return errors.New("no VP8 track")
	}
	out, err := w(cfg)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// Nothing of it is kept: neither its trailer nor a sync of
			// what was written (a stop must not wait for the disk).
			out.discard()
			return
		}
		err = out.Close()
	}()
	pkt := astiav.AllocPacket()
	if pkt == nil {
		return errors.New("allocate a packet")
	}
	defer pkt.Free()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fc.ReadFrame(pkt); err != nil {
			if errors.Is(err, astiav.ErrEof) {
				// The end, or a block cut short by the kill: what came
				// before is kept. Nothing at all: a WebM of no frame is
				// broken (FFmpeg's), and the recording has nothing to keep.
				if out.VideoFrames+out.AudioFrames == 0 && len(out.pending) == 0 {
					return errNoFrame
				}
				return nil
			}
			// A read error (EIO...): what comes after it would be lost.
			return fmt.Errorf("read: %w", err)
		}
		i, tb := pkt.StreamIndex(), fc.Streams()[pkt.StreamIndex()].TimeBase()
		// Data is a copy in Go memory already, the frame's own.
		f := codec.EncodedFrame{Data: pkt.Data(), PTS: at(pkt.Pts(), tb), Duration: at(pkt.Duration(), tb),
			Key: pkt.Flags().Has(astiav.PacketFlagKey)}
		switch i {
		case video:
			err = out.WriteVideo(f)
		case audio:
			f.PTS += audioDelay
			f.Key = true
			err = out.WriteAudio(f)
		}
		pkt.Unref()
		if err != nil {
			// Out of order too: the writer would drop the frame, and
			// video up to the next keyframe.
			return err
		}
	}
}

// labelledAsMix reports whether a VP8 track's colours are labelled as
// the writer labels them (codec.LabelBT601), or not at all (recordings
// of before the label): the writer's label on another would shift its
// colours in players that read it.
func labelledAsMix(cp *astiav.CodecParameters) bool {
	unlabelled := cp.ColorSpace() == astiav.ColorSpaceUnspecified && cp.ColorPrimaries() == astiav.ColorPrimariesUnspecified &&
		cp.ColorTransferCharacteristic() == astiav.ColorTransferCharacteristicUnspecified
	bt601 := cp.ColorSpace() == astiav.ColorSpaceSmpte170M && cp.ColorPrimaries() == astiav.ColorPrimariesSmpte170M &&
		cp.ColorTransferCharacteristic() == astiav.ColorTransferCharacteristicSmpte170M && cp.ColorRange() == astiav.ColorRangeMpeg
	return unlabelled || bt601
}

// at is v in time base tb.
func at(v int64, tb astiav.Rational) time.Duration {
	return time.Duration(astiav.RescaleQ(v, tb, usTimeBase)) * time.Microsecond
}

// errNoFrame is Finish's error for a recording whose writer was killed
// before any frame reached the file: FinishAll removes it, as a stop
// removes a recording of no frame.
var errNoFrame = errors.New("no frame was written before the writer was killed")

// FinishAll finishes, in place, the recordings in dir's room folders
// (dir/ROOM/ROOM-<time>[-n].webm, as Start names them) that a killed
// server left unfinished (Unfinished) and that nothing has written to for
// quiet. A file a WebMWriter has open (this server's recording, or another
// server's sharing the folder: it holds the file's lock) is left alone, as
// is one whose copy would take the disk below minFree. Each is written
// beside itself, then renamed over itself with its mode and time; one that
// cannot be finished stays as it was. Room folders that are links are not
// followed. It returns the files finished, and those removed: killed
// before a frame of theirs reached the disk (within their first second),
// they held nothing to play.
func FinishAll(ctx context.Context, dir string, quiet time.Duration, now time.Time, minFree uint64) (finished, removed []string, err error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("recorder: %w", err)
	}
	defer root.Close()
	rooms, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("recorder: %w", err)
	}
	var errs []error
	for _, r := range rooms {
		if !r.IsDir() { // ReadDir does not follow links
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, r.Name()))
		if err != nil {
			errs = append(errs, fmt.Errorf("recorder: %w", err))
			continue
		}
		for _, e := range files {
			if err := ctx.Err(); err != nil {
				return finished, removed, errors.Join(append(errs, err)...)
			}
			name := filepath.Join(r.Name(), e.Name())
			if strings.HasSuffix(e.Name(), finishingSuffix) {
				// Left by a finish cut short: the recording beside it is
				// as it was.
				if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) >= quiet && e.Type().IsRegular() {
					removeUnlocked(root, name)
				}
				continue
			}
			if !recordingName(r.Name(), e.Name()) || !e.Type().IsRegular() {
				continue
			}
			fi, err := e.Info()
			if err != nil || now.Sub(fi.ModTime()) < quiet {
				continue
			}
			path := filepath.Join(dir, name)
			if un, err := Unfinished(path); err != nil || !un {
				continue
			}
			if minFree > 0 {
				if free, ok := diskspace.Free(dir); ok && free < minFree+uint64(fi.Size()) {
					errs = append(errs, fmt.Errorf("recorder: finish %s: %w: %d MiB free, its copy takes %d MiB and the server keeps %d MiB",
						path, ErrLowDisk, free>>20, fi.Size()>>20, minFree>>20))
					continue
				}
			}
			switch ok, err := finishLocked(ctx, root, name, path); {
			case errors.Is(err, errNoFrame):
				removed = append(removed, path)
			case err != nil:
				errs = append(errs, err)
			case ok:
				finished = append(finished, path)
			}
		}
	}
	return finished, removed, errors.Join(errs...)
}

// recordingName reports whether file is named as Start names the
// recordings of room: ROOM-YYYYMMDDTHHMMSSZ.webm or ...Z-N.webm.
func recordingName(room, file string) bool {
	rest, ok := strings.CutPrefix(file, room+"-")
	if !ok {
		return false
	}
	rest, ok = strings.CutSuffix(rest, ".webm")
	if !ok || len(rest) < 16 {
		return false
	}
	if _, err := time.Parse("20060102T150405Z", rest[:16]); err != nil {
		return false
	}
	if n := rest[16:]; n != "" {
		if len(n) < 2 || len(n) > 3 || n[0] != '-' || n[1] == '0' || strings.Trim(n[1:], "0123456789") != "" {
			return false
		}
	}
	return true
}

// FinishFile finishes the WebM file at path, one a killed writer left
// unfinished (a server's recording, or a killed mcu mix's output): as
// FinishAll does each, in place. ok is false, with no error, when the
// file was finalized already or a writer still holds it. One that holds
// no frame is removed, and an error says so.
func FinishFile(ctx context.Context, path string) (ok bool, err error) {
	// A link is followed: the recording it names is finished where it
	// is, and the link stays (the root below would refuse it, or take
	// it for a file being written).
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	root, err := os.OpenRoot(filepath.Dir(path))
	if err != nil {
		return false, fmt.Errorf("recorder: %w", err)
	}
	defer root.Close()
	return finishLocked(ctx, root, filepath.Base(path), path)
}

// finishLock takes a file's lock before it is finished (a variable for
// the tests of a file system without locks).
var finishLock = lockFile

// finishLocked takes the lock of the recording name (a WebMWriter holds
// it while it writes the file) and finishes it in place; ok is false when
// the file is being written, or is no longer the one found. One that
// holds no frame is removed, and errNoFrame returned.
func finishLocked(ctx context.Context, root *os.Root, name, path string) (ok bool, err error) {
	f, err := root.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return false, fmt.Errorf("recorder: %w", err)
	}
	defer f.Close()
	if locked, err := finishLock(f); err != nil || !locked {
		return false, err
	}
	held, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("recorder: %w", err)
	}
	if writing.has(held) {
		return false, nil // this process writes it
	}
	if now, err := root.Lstat(name); err != nil || !os.SameFile(now, held) {
		return false, nil // finished meanwhile (by another server)
	}
	if un, _ := Unfinished(path); !un {
		return false, nil
	}
	// A .finishing file beside it: left by a finish cut short (no one
	// else finishes the file while its lock is held), unless a writer
	// still holds it (a server of before the lock).
	if !removeUnlocked(root, name+finishingSuffix) {
		return false, nil
	}
	err = finishInPlace(ctx, root, name, path, held)
	if errors.Is(err, errNoFrame) {
		// Nothing to play (killed within its first cluster): removed
		// under its lock, as a stop removes a recording of no frame.
		if rerr := root.Remove(name); rerr != nil {
			return false, fmt.Errorf("recorder: %w", rerr)
		}
	}
	return true, err
}

// removeUnlocked removes the file name (a .finishing one) unless a writer
// holds its lock, and reports whether none does (true too when there is
// no such file).
func removeUnlocked(root *os.Root, name string) bool {
	f, err := root.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return true
	}
	defer f.Close()
	locked, _ := lockFile(f)
	if fi, err := f.Stat(); locked && err == nil && fi.Mode().IsRegular() {
		root.Remove(name)
	}
	return locked
}

// finishInPlace finishes the recording name (in root; path is its path,
// fi its stat) into a file beside it, with its mode and time, then renames
// that over it.
func finishInPlace(ctx context.Context, root *os.Root, name, path string, fi os.FileInfo) error {
	tmp := name + finishingSuffix
	created := false
	err := Finish(ctx, path, func(cfg WebMConfig) (*WebMWriter, error) {
		f, err := root.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
		if err != nil {
			return nil, err // Finish says which recording
		}
		created = true
		if err := f.Chmod(fi.Mode().Perm()); err != nil {
			f.Close()
			return nil, err
		}
		return newWebM(f, path+finishingSuffix, cfg)
	})
	if err == nil { // Finish's own errors name the file already
		err = root.Chtimes(tmp, fi.ModTime(), fi.ModTime())
		if err == nil {
			err = root.Rename(tmp, name)
		}
		if err != nil {
			err = fmt.Errorf("recorder: finish %s: %w", path, err)
		}
	}
	if err != nil && created {
		root.Remove(tmp)
	}
	return err
}
