//go:build cgo

package recorder

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asticode/go-astiav"

	"mcu/codec"
)

// maxInterleave is the most the muxer holds one stream waiting for the other.
const maxInterleave = 500 * time.Millisecond

// usTimeBase is the time base packets are handed to the muxer in.
var usTimeBase = astiav.NewRational(1, 1_000_000)

// WebMConfig describes the streams of a recording.
type WebMConfig struct {
	Width, Height int // VP8 picture size
	FPS           int
	// ClusterDuration bounds what a crash can lose: a cluster reaches the
	// disk when it closes. Default 1 s.
	ClusterDuration time.Duration
	// NoAudio leaves the audio track out.
	NoAudio bool
	// SyncEvery, when set, syncs the file to the disk every so much media
	// written, in the background (a slow disk holds no frame up), so that
	// a power loss takes no more than that; otherwise the file is synced
	// at Close only.
	SyncEvery time.Duration
	// MinFree, for a Recording (Start), is the free space its disk must
	// keep: a recording does not start with less (ErrLowDisk), and one
	// whose disk gets down to it takes no more frames, so that its stop
	// still has room to finalize the file and the machine room to go on.
	// 0: none kept back. A WebMWriter alone ignores it.
	MinFree uint64
	// Reproducible writes the same bytes for the same frames: the segment
	// and track identifiers, random otherwise, are fixed, and the muxer
	// names no version of itself (FFmpeg's bitexact mode). A file made
	// again from the same inputs can then be compared byte for byte.
	Reproducible bool
}

// WebMWriter writes a WebM file (VP8 + Opus) from encoded frames, in the
// calling goroutine. Frames of each kind must come in time order; the muxer
// interleaves the two kinds. The file starts at the first video keyframe
// (time 0): audio that comes before it is held, then kept from that time on,
// so a recording started while the encoder is a frame behind the audio
// loses nothing and never begins with a picture that cannot be decoded.
// Close finalizes the file; a WebMWriter that is never closed still leaves a
// playable file up to its last complete cluster.
type WebMWriter struct {
	path      string
	file      *os.File
	fc        *astiav.FormatContext
	io        *astiav.IOContext
	pkt       *astiav.Packet
	video     *astiav.Stream
	audio     *astiav.Stream
	base      time.Duration // clock time of the file's 0: the first keyframe
	gotKey    bool
	needKey   bool                 // a video frame was refused: the deltas after it lack it
	pending   []codec.EncodedFrame // audio waiting for the first keyframe
	last      [2]time.Duration     // last written PTS per stream, to keep them increasing
	end       time.Duration        // the latest end of a frame written
	syncs     backgroundSync       // the periodic syncs (WebMConfig.SyncEvery)
	out       *fileIO              // the muxer's callbacks
	closed    bool
	cfg       WebMConfig    // as opened (a reproducible file; one made again without its video track)
	quietFrom time.Duration // the first audio PTS written since the last picture (-1: a picture was the last)
	releasing bool          // writing the audio held for the first keyframe

	VideoFrames, AudioFrames int // written so far
	DroppedBeforeKey         int // video frames dropped waiting for a keyframe: the first, or one after a frame refused
	DroppedBeforeStart       int // frames older than the first one written, and audio held for the first keyframe refused for its time
}

// CreateWebM creates path (it must not exist) and writes the file header.
func CreateWebM(path string, cfg WebMConfig) (*WebMWriter, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	return newWebM(f, path, cfg)
}

// newWebM writes the file header to f, a new empty file at path, and
// returns its writer; on failure f is closed and path removed.
func newWebM(f *os.File, path string, cfg WebMConfig) (*WebMWriter, error) {
	if cfg.ClusterDuration <= 0 {
		cfg.ClusterDuration = time.Second
	}
	// The file is locked while it is written: FinishAll leaves it alone.
	lockFile(f)
	w := &WebMWriter{path: path, file: f, cfg: cfg, quietFrom: -1, last: [2]time.Duration{-1, -1}, syncs: backgroundSync{every: cfg.SyncEvery}}
	writing.add(w)
	if err := w.open(cfg, true); err != nil {
		w.abort()
		return nil, fmt.Errorf("recorder: %s: %w", path, err)
	}
	return w, nil
}

// open writes the header of a file of cfg's tracks; with video false, of
// its audio track alone.
func (w *WebMWriter) open(cfg WebMConfig, video bool) error {
	fc, err := astiav.AllocOutputFormatContext(nil, "webm", "")
	if err != nil {
		return fmt.Errorf("webm muxer: %w", err)
	}
	w.fc = fc
	if video {
		w.video = fc.NewStream(nil)
		if w.video == nil {
			return errors.New("new video stream")
		}
		vp := w.video.CodecParameters()
		vp.SetMediaType(astiav.MediaTypeVideo)
		vp.SetCodecID(astiav.CodecIDVp8)
		vp.SetWidth(cfg.Width)
		vp.SetHeight(cfg.Height)
		codec.LabelBT601(vp) // a Colour element: players guess BT.709 for HD
		if cfg.FPS > 0 {
			w.video.SetAvgFrameRate(astiav.NewRational(cfg.FPS, 1))
		}
		w.video.SetTimeBase(astiav.NewRational(1, 1000))
	}
	if !cfg.NoAudio {
		w.audio = fc.NewStream(nil)
		if w.audio == nil {
			return errors.New("new audio stream")
		}
		ap := w.audio.CodecParameters()
		ap.SetMediaType(astiav.MediaTypeAudio)
		ap.SetCodecID(astiav.CodecIDOpus)
		ap.SetSampleRate(codec.OpusSampleRate)
		ap.SetChannelLayout(astiav.ChannelLayoutStereo)
		if err := ap.SetExtraData(codec.OpusHead()); err != nil {
			return fmt.Errorf("opus header: %w", err)
		}
		if err := codec.SetOpusPadding(ap); err != nil {
			return fmt.Errorf("opus codec delay: %w", err)
		}
		w.audio.SetTimeBase(astiav.NewRational(1, 1000))
	}
	w.out = &fileIO{file: w.file}
	ioc, err := astiav.AllocIOContext(64<<10, true, nil, w.out.seek, w.out.write)
	if err != nil {
		return fmt.Errorf("io context: %w", err)
	}
	w.io = ioc
	fc.SetPb(ioc)
	// Write each packet as soon as the muxer lets go of it.
	flags := fc.Flags().Add(astiav.FormatContextFlagFlushPackets)
	if cfg.Reproducible {
		flags = flags.Add(astiav.FormatContextFlagBitexact)
	}
	fc.SetFlags(flags)
	opts := astiav.NewDictionary()
	defer opts.Free()
	for k, v := range map[string]string{
		"cluster_time_limit":   strconv.FormatInt(cfg.ClusterDuration.Milliseconds(), 10),
		"cluster_size_limit":   strconv.Itoa(4 << 20),
		"max_interleave_delta": strconv.FormatInt(maxInterleave.Microseconds(), 10),
		"flush_packets":        "1",
		// Each track is marked as the one to play (FlagDefault), as a
		// Matroska player expects of a file's only video and audio.
		"default_mode": "infer",
	} {
		if err := opts.Set(k, v, 0); err != nil {
			return fmt.Errorf("muxer option %s: %w", k, err)
		}
	}
	if err := fc.WriteHeader(opts); err != nil {
		return w.fileErr(fmt.Errorf("write header: %w", err))
	}
	// FFmpeg flushes the header (flush_packets) but does not report a
	// write that failed there: a disk that cannot take it refuses the
	// start, rather than a recording that writes nothing.
	w.io.Flush()
	if w.out.werr != nil {
		return fmt.Errorf("write header: %w", w.out.werr)
	}
	w.pkt = astiav.AllocPacket()
	if w.pkt == nil {
		return errors.New("allocate packet")
	}
	return nil
}

// fileIO is what the muxer's callbacks write through. go-astiav keeps the
// callbacks of every IO context it made in a global map for good (its Free
// leaves them there), so they hold this, which forgets the file once the
// writer is freed, rather than the writer.
type fileIO struct {
	file *os.File
	werr error // first error of the file itself (disk full...)
}

func (o *fileIO) write(b []byte) (int, error) {
	n, err := o.file.Write(b)
	if err != nil && o.werr == nil {
		o.werr = err
	}
	return n, err
}

// avseekSize asks a seek callback for the stream size; avseekForce is a flag.
const (
	avseekSize  = 0x10000
	avseekForce = 0x20000
)

func (o *fileIO) seek(offset int64, whence int) (int64, error) {
	whence &^= avseekForce
	if whence == avseekSize {
		st, err := o.file.Stat()
		if err != nil {
			return 0, err
		}
		return st.Size(), nil
	}
	return o.file.Seek(offset, whence)
}

// fileErr prefers the underlying file error (ENOSPC...) over FFmpeg's.
func (w *WebMWriter) fileErr(err error) error {
	if w.out != nil && w.out.werr != nil {
		return fmt.Errorf("%w (%w)", w.out.werr, err)
	}
	return err
}

// Path is the file being written.
func (w *WebMWriter) Path() string { return w.path }

// WriteVideo appends one VP8 frame. Frames before the first keyframe are
// dropped (a file must start with one).
func (w *WebMWriter) WriteVideo(f codec.EncodedFrame) error {
	if !w.gotKey || w.needKey {
		if !f.Key {
			w.DroppedBeforeKey++
			return nil
		}
		if !w.gotKey {
			w.gotKey, w.base = true, f.PTS
		}
		w.needKey = false
	}
	ok, err := w.writePacket(w.video, 0, f)
	if ok {
		w.VideoFrames++
	}
	w.needKey = errors.Is(err, errOutOfOrder)
	if err != nil {
		return err
	}
	return w.writeHeld()
}

// writeHeld writes the audio held for the first keyframe. A held frame
// refused for its time is left out, not the rest after it.
func (w *WebMWriter) writeHeld() error {
	held := w.pending
	w.pending = nil
	// Held sound is no pause of the picture: the interleaver sorts it
	// with the pictures that follow, and a pause counts from the newest.
	w.releasing = true
	defer func() { w.releasing = false }()
	for _, a := range held {
		if err := w.WriteAudio(a); errors.Is(err, errOutOfOrder) {
			w.DroppedBeforeStart++
		} else if err != nil {
			return err
		}
	}
	if len(held) > 0 && w.quietFrom >= 0 {
		w.quietFrom = w.last[1]
	}
	return nil
}

// maxPending bounds the audio held while waiting for the first keyframe
// (two seconds).
const maxPending = 100

// WriteAudio appends one Opus packet.
func (w *WebMWriter) WriteAudio(f codec.EncodedFrame) error {
	if w.audio == nil {
		return nil
	}
	if !w.gotKey {
		if len(w.pending) == maxPending {
			w.pending = w.pending[1:]
			w.DroppedBeforeStart++
		}
		w.pending = append(w.pending, f)
		return nil
	}
	ok, err := w.writePacket(w.audio, 1, f)
	if ok {
		w.AudioFrames++
	}
	return err
}

// errOutOfOrder is a frame refused for its timestamp: that frame is not in
// the file, and the file is as good as before.
var errOutOfOrder = errors.New("out of order")

// writePacket reports whether the frame went into the file.
func (w *WebMWriter) writePacket(st *astiav.Stream, i int, f codec.EncodedFrame) (bool, error) {
	if w.closed {
		return false, errors.New("recorder: write after close")
	}
	pts := f.PTS - w.base
	if pts < 0 {
		w.DroppedBeforeStart++
		return false, nil // audio from before the first keyframe
	}
	if pts <= w.last[i] {
		return false, fmt.Errorf("recorder: %s: %w: timestamp %v after %v", w.path, errOutOfOrder, pts, w.last[i])
	}
	if err := codec.LoadPacket(w.pkt, f.Data); err != nil {
		return false, fmt.Errorf("recorder: %w", err)
	}
	defer w.pkt.Unref()
	w.pkt.SetStreamIndex(st.Index())
	w.pkt.SetPts(pts.Microseconds())
	w.pkt.SetDts(pts.Microseconds())
	w.pkt.SetDuration(f.Duration.Microseconds())
	if f.Key {
		w.pkt.SetFlags(w.pkt.Flags().Add(astiav.PacketFlagKey))
	}
	w.pkt.RescaleTs(usTimeBase, st.TimeBase())
	if err := w.fc.WriteInterleavedFrame(w.pkt); err != nil {
		return false, fmt.Errorf("recorder: %s: %w", w.path, w.fileErr(err))
	}
	w.last[i] = pts
	if i == 0 {
		w.quietFrom = -1
	} else if w.quietFrom < 0 {
		w.quietFrom = pts
	}
	// A pause: no picture came while 500 ms of sound did. (Pictures that
	// come steadily but late are left to the interleaver, which keeps
	// the file in time order.)
	if i == 1 && w.video != nil && !w.cfg.Reproducible && !w.releasing && pts-w.last[0] > maxInterleave && pts-w.quietFrom > maxInterleave {
		// FFmpeg's interleaver leaves a VP8 stream with nothing queued
		// out of its max_interleave_delta check (mux.c): during a pause
		// in the picture it would hold the sound until the next picture,
		// off the disk. Let it go. (Not in a reproducible file: when this
		// happens would depend on how the threads ran.)
		if err := w.fc.WriteInterleavedFrame(nil); err != nil {
			return true, fmt.Errorf("recorder: %s: %w", w.path, w.fileErr(err))
		}
	}
	w.end = max(w.end, pts+max(f.Duration, 0))
	if err := w.syncs.after(w.file, w.end); err != nil {
		return true, fmt.Errorf("recorder: %s: sync: %w", w.path, err)
	}
	return true, nil
}

// syncFile syncs a recording's file (a variable for the tests).
var syncFile = (*os.File).Sync

// backgroundSync syncs a file every so much media, each sync in a
// goroutine of its own, one at a time: written is not yet on the disk,
// and a power loss takes what the kernel holds (tens of seconds), while a
// slow disk must not hold the writer up. A file system that does not sync
// files (EINVAL, ENOTSUP, EROFS) ends the syncs, not the recording; any
// other failure is reported at the next frame written.
type backgroundSync struct {
	every  time.Duration // 0: none
	synced time.Duration // the media written at the last sync started
	busy   atomic.Bool
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error // a failed sync, not yet reported
	off    bool  // the file system does not sync
}

// after is told that media up to end has been written to f; it reports a
// background sync that failed since it was last asked.
func (b *backgroundSync) after(f *os.File, end time.Duration) error {
	if b.every <= 0 {
		return nil // none ever started
	}
	b.mu.Lock()
	err, off := b.err, b.off
	b.err = nil
	b.mu.Unlock()
	if err != nil || off || end-b.synced < b.every || !b.busy.CompareAndSwap(false, true) {
		return err // a sync still running waits for the next turn
	}
	b.synced = end
	b.wg.Go(func() {
		defer b.busy.Store(false)
		err := syncFile(f)
		b.mu.Lock()
		defer b.mu.Unlock()
		switch {
		case syncUnsupported(err):
			b.off = true
		case err != nil:
			b.err = err
		}
	})
	return nil
}

// waitErr waits for a sync under way and returns a failure not yet
// reported.
func (b *backgroundSync) waitErr() error {
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	err := b.err
	b.err = nil
	return err
}

// syncUnsupported tells a file system that does not sync files.
func syncUnsupported(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EROFS)
}

// Duration is the time span written so far: to the end of the last frame
// (a 10 s clip at 30 fps lasts 10 s, its last picture starting at 9.967).
func (w *WebMWriter) Duration() time.Duration { return w.end }

// Close writes the trailer (duration, cues), syncs and closes the file. It
// is safe to call more than once; only the first call does anything.
func (w *WebMWriter) Close() error {
	if w.closed {
		return nil
	}
	var errs []error
	if !w.gotKey && len(w.pending) > 0 {
		// Closed before the first keyframe (a recording stopped at once):
		// the sound held for it is the file, from its first frame, in a
		// file of the audio track alone. FFmpeg indexes a file with a
		// video track by its keyframes only: with none, the file would
		// have no Cues, and Chromium could not seek in it.
		if err := w.reopenWithoutVideo(); err != nil {
			w.closeUnwritten()
			return fmt.Errorf("recorder: finalize %s: %w", w.path, err)
		}
		w.gotKey, w.base = true, w.pending[0].PTS
		if err := w.writeHeld(); err != nil {
			errs = append(errs, err)
		}
	}
	w.closed = true
	// A background sync's failure not yet reported: the kernel tells a
	// write-back error once, so Close's own sync would not see it again.
	if err := w.syncs.waitErr(); err != nil {
		errs = append(errs, fmt.Errorf("sync: %w", err))
	}
	if err := w.fc.WriteTrailer(); err != nil {
		errs = append(errs, fmt.Errorf("write trailer: %w", w.fileErr(err)))
	}
	w.io.Flush()
	if err := syncFile(w.file); err != nil && !syncUnsupported(err) {
		errs = append(errs, err)
	}
	w.free()
	if err := w.file.Close(); err != nil {
		errs = append(errs, err)
	}
	writing.remove(w)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("recorder: finalize %s: %w", w.path, err)
	}
	return nil
}

// reopenWithoutVideo writes the file again from its start, its header
// without the video track; no frame was written yet.
func (w *WebMWriter) reopenWithoutVideo() error {
	w.free()
	w.video = nil
	if err := w.file.Truncate(0); err != nil {
		return fmt.Errorf("truncate: %w", err)
	}
	if _, err := w.file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("seek: %w", err)
	}
	return w.open(w.cfg, false)
}

// discard ends a writer whose file is not wanted (its caller removes
// it): no trailer, no sync.
func (w *WebMWriter) discard() {
	if w.closed {
		return
	}
	w.closed = true
	w.syncs.wg.Wait() // none runs without SyncEvery
	w.free()
	w.file.Close()
	writing.remove(w)
}

// abort frees everything after a failed start and removes the file.
func (w *WebMWriter) abort() {
	w.closeUnwritten()
	os.Remove(w.path)
}

// closeUnwritten lets go of a writer that wrote no frame: its muxer, its file
// and its place among the files written.
func (w *WebMWriter) closeUnwritten() {
	w.closed = true // no frame was written: no sync runs
	w.free()
	w.file.Close()
	writing.remove(w)
}

// writing are the files this process's WebMWriters have open, which
// FinishAll leaves alone whatever their lock and time say. Their lock
// alone does not tell on a file system without locks (lockFile), and
// their time then does not either: a wall clock stepped forward, or a
// file server whose clock runs behind, makes a file written a moment ago
// look quiet, and one finished in place would send the rest of the
// recording, and its trailer, to the unlinked file.
var writing openFiles

type openFiles struct {
	mu    sync.Mutex
	files map[*WebMWriter]os.FileInfo
}

func (o *openFiles) add(w *WebMWriter) {
	fi, err := w.file.Stat()
	if err != nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.files == nil {
		o.files = map[*WebMWriter]os.FileInfo{}
	}
	o.files[w] = fi
}

func (o *openFiles) remove(w *WebMWriter) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.files, w)
}

// has reports whether fi is the file of one of the writers.
func (o *openFiles) has(fi os.FileInfo) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, w := range o.files {
		if os.SameFile(w, fi) {
			return true
		}
	}
	return false
}

func (w *WebMWriter) free() {
	if w.pkt != nil {
		w.pkt.Free()
		w.pkt = nil
	}
	if w.fc != nil {
		w.fc.Free() // not the pb: it is ours
		w.fc = nil
	}
	if w.io != nil {
		w.io.Free() // never Close: avio_closep would treat our handle as a URLContext
		w.io = nil
		w.out.file = nil
	}
}

var _ io.Closer = (*WebMWriter)(nil)
