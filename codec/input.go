//go:build cgo

package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/asticode/go-astiav"
)

// MediaKind tells video from audio.
type MediaKind int

// The kinds of stream mcu reads.
const (
	Video MediaKind = iota + 1
	Audio
)

func (k MediaKind) String() string {
	switch k {
	case Video:
		return "video"
	case Audio:
		return "audio"
	}
	return fmt.Sprintf("MediaKind(%d)", int(k))
}

// StreamInfo describes the video or audio stream an Input reads.
type StreamInfo struct {
	Kind  MediaKind
	Codec string // FFmpeg's codec name, e.g. "vp8", "h264", "opus"
	// Video only.
	VideoCodec    VideoCodec
	Width, Height int     // as stored, before Rotation
	FrameRate     float64 // frames per second when the container says, else 0
	// Rotation is how far the pictures turn clockwise to stand upright
	// (0, 90, 180 or 270 degrees): a phone's MP4 stores a portrait video
	// lying on its side, with a display matrix saying so.
	Rotation int
	// Audio only.
	SampleRate, Channels int
	PreSkip              int // Opus samples (at 48 kHz) to drop at the start
	OutputGain           int // gain to apply to the decoded sound, in 1/256 dB (an OpusHead's, RFC 7845 5.1)
	index                int
	timeBase             astiav.Rational
}

// Packet is one compressed frame read from a file.
type Packet struct {
	Kind     MediaKind
	Data     []byte
	PTS      time.Duration // from the start of the file, or NoPTS
	Duration time.Duration // 0 when unknown
	Key      bool
	// Preroll: the container says not to show this frame; it is there
	// for the frames after it (an MP4 edit list that starts the clip
	// after a keyframe, as a cut without re-encoding leaves it).
	Preroll bool
	// Restart: the first packet of another Opus stream chained after the
	// one before (Ogg files joined end to end). Its decoder starts afresh
	// and drops SkipStart samples first, as at the start of the file.
	Restart bool
	// SkipStart: samples (per channel) of the sound decoded from this
	// packet on that the container says to drop, when it says so: the
	// pre-skip, and for a clip cut without re-encoding, the sound before
	// the cut too.
	SkipStart int
	// SkipEnd: samples (per channel) at the end of the sound decoded from
	// this packet that the container says to drop: an Ogg stream's last
	// packet codes past the stream's end (its final granule position), a
	// Matroska block's DiscardPadding.
	SkipEnd int
	// OutputGain: with Restart, the gain the chained stream's OpusHead
	// asks for, as StreamInfo.OutputGain.
	OutputGain int
}

// Input reads the first supported video stream and the first Opus stream
// of a media file (IVF, H.264 Annex B, Ogg, WebM/Matroska, MP4), recognised
// by content. Use from one goroutine; Close frees it.
type Input struct {
	path         string
	container    Container
	fc           *astiav.FormatContext
	pkt          *astiav.Packet
	video, audio *StreamInfo
	skipped      []string // the audio and video streams not read, as "audio aac"
	start        int64    // container start time in AV_TIME_BASE units, or NoPtsValue
	// annexB rewrites H.264 from MP4 or Matroska, whose NAL units carry
	// lengths and whose SPS and PPS sit in the stream's header, as the
	// Annex B stream the decoder and IsKeyframe take (nil: not needed).
	annexB *astiav.BitStreamFilterContext

	// Read's look-ahead (see vet): packets read but not yet returned, the
	// error that ended reading, and each stream's last time.
	pending      []Packet
	pendingBytes int
	readErr      error
	times        [Audio + 1]streamTimes
	offset       time.Duration  // added to every time: the start time was damaged
	damaged      [Audio + 1]int // packets the demuxer found damaged (Damaged)
	lostStart    bool           // an Ogg's first audio pages were damaged (LostStart)
	relabelled   string         // what Relabelled says
	// h264Held: H.264 packets with no slice (parameter sets, SEI, a
	// delimiter alone), held for the next packet that has one.
	h264Held []byte

	// Ogg chaining (see chain): the pre-skip of a link whose headers have
	// been read (-1: none pending), how far the link's times are moved on
	// (and whether that is still to be worked out, at its first time), and
	// where the audio read so far ends: the first packet's time plus the
	// length of every packet, which a damaged time does not change.
	linkPreSkip  int
	linkGain     int
	linkShift    time.Duration
	linkShiftDue bool
	audioEnd     time.Duration
	audioTimed   bool // audioEnd has begun at a time
}

// ErrNotMedia means a file is not in a format mcu reads.
var ErrNotMedia = errors.New("not a media file mcu reads (want VP8/VP9/AV1 in IVF, H.264 Annex B, Opus in Ogg, or WebM, Matroska or MP4 holding them)")

// OpenInput opens path. Errors name the file and say what was wrong.
func OpenInput(path string) (*Input, error) {
	head, err := readHead(path, 512)
	if err != nil {
		return nil, err
	}
	c := SniffContainer(head)
	if c == UnknownContainer {
		return nil, fmt.Errorf("%s: %w", path, ErrNotMedia)
	}
	in := &Input{path: path, container: c, linkPreSkip: -1}
	for k := range in.times {
		in.times[k].first, in.times[k].max = NoPTS, NoPTS
	}
	if err := in.open(); err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError already names the file
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	head := make([]byte, n)
	m, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return head[:m], nil
}

func (in *Input) open() error {
	in.fc = astiav.AllocFormatContext()
	if in.fc == nil {
		return fmt.Errorf("%s: allocate format context", in.path)
	}
	format := astiav.FindInputFormat(in.container.demuxer())
	var opts *astiav.Dictionary
	if in.container == AnnexB {
		// A raw H.264 stream has no times: its frame rate is the SPS's
		// timing info, or, for a stream without it (many encoders leave
		// it out), FFmpeg's default of 25, which would play a 30 fps
		// camera a fifth slower than its sound. mcu takes 30, as live.
		opts = astiav.NewDictionary()
		defer opts.Free()
		if err := opts.Set("framerate", "30", 0); err != nil {
			return fmt.Errorf("%s: demuxer option: %w", in.path, err)
		}
	}
	// "file:": FFmpeg takes a name such as rec-10:30.ivf for a URL of
	// protocol "rec-10" otherwise.
	if err := in.fc.OpenInput("file:"+in.path, format, opts); err != nil {
		in.fc.Free()
		in.fc = nil
		return fmt.Errorf("%s: open as %v: %w", in.path, in.container, err)
	}
	// An IVF header's FourCC may name another codec than its frames
	// are in (a recorder that writes one whatever it records): its
	// frames, all refused, left the tile empty for the whole mix, with a
	// warning of no keyframe. They are decoded as what they are.
	var relabel VideoCodec
	if st := in.fc.Streams(); in.container == IVF && len(st) == 1 {
		said, _ := videoCodecOf(st[0].CodecParameters().CodecID())
		fourCC, first := ivfFirstFrame(in.path)
		if c, ok := framesCodec(first, said); ok {
			relabel = c
			in.relabelled = fmt.Sprintf("its IVF header says %s (FourCC %q), its frames are %v: read as %v",
				st[0].CodecParameters().CodecID().Name(), fourCC, c, c)
		}
	}
	// FFmpeg probes with the header's codec, which may fail on the
	// frames of another: the header says all mcu needs.
	if err := findStreamInfo(in.fc); err != nil && relabel == 0 {
		return fmt.Errorf("%s: read %v stream info: %w", in.path, in.container, err)
	}
	var found []string
	for _, st := range in.fc.Streams() {
		cp := st.CodecParameters()
		desc := fmt.Sprintf("%s %s", cp.MediaType(), cp.CodecID().Name())
		found = append(found, desc)
		switch cp.MediaType() {
		case astiav.MediaTypeVideo:
			vc, ok := videoCodecOf(cp.CodecID())
			if relabel != 0 {
				vc, ok = relabel, true
				desc = "video " + strings.ToLower(vc.String())
			}
			if in.video != nil || !ok {
				in.skipped = append(in.skipped, desc)
				continue
			}
			fps := 0.0
			for _, r := range []astiav.Rational{st.AvgFrameRate(), st.RFrameRate()} {
				if f := r.Float64(); f >= minFrameRate {
					fps = f
					break
				}
			}
			in.video = &StreamInfo{Kind: Video, Codec: strings.TrimPrefix(desc, "video "), VideoCodec: vc,
				Width: cp.Width(), Height: cp.Height(), FrameRate: fps, Rotation: rotationOf(st),
				index: st.Index(), timeBase: st.TimeBase()}
			if extra := cp.ExtraData(); vc == H264 && len(extra) > 0 && extra[0] == 1 { // avcC
				if err := in.openAnnexB(cp, st.TimeBase()); err != nil {
					return fmt.Errorf("%s: H.264 in %v: %w", in.path, in.container, err)
				}
			}
		case astiav.MediaTypeAudio:
			if n := opusStreams(cp.ExtraData()); cp.CodecID() == astiav.CodecIDOpus && n != 1 {
				// Surround: each packet holds several streams, which
				// a stereo decoder would take for one and make noise of.
				desc = fmt.Sprintf("%s (%d channels in %d streams; mcu reads one)", desc, cp.Channels(), n)
				found[len(found)-1] = desc
				in.skipped = append(in.skipped, desc)
				continue
			}
			if in.audio != nil || cp.CodecID() != astiav.CodecIDOpus {
				in.skipped = append(in.skipped, desc)
				continue
			}
			preSkip, gain := opusHead(cp.ExtraData())
			in.audio = &StreamInfo{Kind: Audio, Codec: "opus", SampleRate: 48000, Channels: cp.Channels(),
				PreSkip: preSkip, OutputGain: gain, index: st.Index(), timeBase: st.TimeBase()}
		}
	}
	if in.video == nil && in.audio == nil {
		if len(found) == 0 {
			return fmt.Errorf("%s: %w", in.path, ErrNotMedia)
		}
		return fmt.Errorf("%s: no supported stream (found %v; want VP8, VP9, AV1 or H.264 video, Opus audio)", in.path, found)
	}
	in.start = in.fc.StartTime()
	if in.container == Ogg && in.audio != nil && in.start != astiav.NoPtsValue && in.start > 0 {
		// FFmpeg skips a page whose checksum is wrong. When the first
		// audio pages go, the file's start time is taken from the first
		// one left, and the sound would start that much early (against
		// its picture, in a pair) and the mix be that much shorter.
		// Each page lost holds at most maxOggPageTime: a later start is
		// the stream's own (a live stream joined midway).
		if lost := oggLostStart(in.path); lost > 0 && time.Duration(in.start)*time.Microsecond <= time.Duration(lost)*maxOggPageTime {
			in.start, in.lostStart = 0, true
		}
	}
	in.pkt = astiav.AllocPacket()
	if in.pkt == nil {
		return fmt.Errorf("%s: allocate packet", in.path)
	}
	return nil
}

// openAnnexB sets up FFmpeg's h264_mp4toannexb filter for the video
// stream described by cp.
func (in *Input) openAnnexB(cp *astiav.CodecParameters, tb astiav.Rational) error {
	f := astiav.FindBitStreamFilterByName("h264_mp4toannexb")
	if f == nil {
		return errors.New("FFmpeg has no h264_mp4toannexb filter")
	}
	bsf, err := astiav.AllocBitStreamFilterContext(f)
	if err != nil {
		return fmt.Errorf("h264_mp4toannexb: %w", err)
	}
	in.annexB = bsf // Close frees it
	if err := cp.Copy(bsf.InputCodecParameters()); err != nil {
		return fmt.Errorf("h264_mp4toannexb parameters: %w", err)
	}
	bsf.SetInputTimeBase(tb)
	if err := bsf.Initialize(); err != nil {
		return fmt.Errorf("h264_mp4toannexb: %w", err)
	}
	return nil
}

// opusStreams is how many Opus streams each packet of a stream whose
// identification header (RFC 7845 5.1) is head holds: one for channel
// mapping family 0 (mono or stereo) or without a header, else the
// header's stream count (0 when it is cut short).
func opusStreams(head []byte) int {
	if len(head) < 19 || string(head[:8]) != "OpusHead" || head[18] == 0 {
		return 1
	}
	if len(head) < 20 {
		return 0
	}
	return int(head[19])
}

// rotationOf is the clockwise turn, to the nearest quarter, that a
// stream's display matrix asks for; 0 without one (a mirrored or skewed
// matrix is taken for its rotation alone).
func rotationOf(st *astiav.Stream) int {
	m, err := astiav.NewDisplayMatrixFromBytes(st.SideData(astiav.PacketSideDataTypeDisplaymatrix))
	if err != nil {
		return 0
	}
	r := m.Rotation()
	if math.IsNaN(r) {
		return 0
	}
	return ((int(math.Round(r/90))%4 + 4) % 4) * 90
}

// opusHead reads the pre-skip and the output gain (in 1/256 dB) of an
// OpusHead (RFC 7845 5.1); 0 for a field it is too short to hold.
func opusHead(head []byte) (preSkip, gain int) {
	if len(head) < 12 || string(head[:8]) != "OpusHead" {
		return 0, 0
	}
	preSkip = int(binary.LittleEndian.Uint16(head[10:]))
	if len(head) >= 18 {
		gain = int(int16(binary.LittleEndian.Uint16(head[16:])))
	}
	return preSkip, gain
}

// Video describes the video stream, or is nil.
func (in *Input) Video() *StreamInfo { return in.video }

// Audio describes the Opus stream, or is nil.
func (in *Input) Audio() *StreamInfo { return in.audio }

// LostStart reports whether the first audio pages of an Ogg file were
// damaged: its sound starts late, by what they held.
func (in *Input) LostStart() bool { return in.lostStart }

// Relabelled says, when an IVF file's header names another codec than
// its frames are in, what it names and what they are read as; else "".
func (in *Input) Relabelled() string { return in.relabelled }

// Skipped lists the file's audio and video streams that are not read
// (a codec mcu does not decode, or a second stream of a kind), as
// "audio aac".
func (in *Input) Skipped() []string { return in.skipped }

// Read returns the next packet of the video or audio stream, io.EOF at the
// end. Packet times are relative to the start of the file. Packets whose
// times leap far ahead of their stream (see leapLimit) while a later
// packet of the stream is back behind them are taken for damaged
// timestamps (one damaged IVF frame, or a Matroska cluster's time): they
// move back to follow the stream's latest packet, spaced as they were
// (Retimed counts them). Left as it was, one flipped bit in a 3 s clip's
// timestamps made a mix of hours. A stream's first packet far after the
// next two moves to just before them (and when it gave the file its start
// time, the start moves with it); a lone last packet that leaps more than
// trailingJump and more than the stream before it follows the one before.
// A packet damaged backwards is left where it is: it changes nothing the
// stream's later packets are judged by.
func (in *Input) Read() (Packet, error) {
	var p Packet
	if len(in.pending) > 0 {
		p = in.pending[0]
		in.pending[0] = Packet{} // let its data go once returned
		in.pending = in.pending[1:]
		in.pendingBytes -= len(p.Data)
		if len(in.pending) == 0 {
			in.pending = nil
		}
	} else {
		var err error
		if p, err = in.readPacket(); err != nil {
			return Packet{}, err
		}
	}
	in.vet(&p)
	return p, nil
}

// readPacket reads the next packet of the video or audio stream from the
// file. An error (io.EOF at the end) is kept and returned again.
func (in *Input) readPacket() (Packet, error) {
	if in.readErr != nil {
		return Packet{}, in.readErr
	}
	p, err := in.readFile()
	if err != nil {
		in.readErr = err
	}
	return p, err
}

func (in *Input) readFile() (Packet, error) {
	if in.fc == nil {
		return Packet{}, fmt.Errorf("%s: input closed", in.path)
	}
	for bad := 0; ; {
		if err := in.fc.ReadFrame(in.pkt); err != nil {
			if errors.Is(err, astiav.ErrEof) {
				return Packet{}, io.EOF
			}
			// Data the demuxer cannot take (an Ogg page that says no
			// packet ends on it, yet holds whole ones): it has passed
			// it, and reads on from the next; a file that gives nothing
			// else ends here.
			if errors.Is(err, astiav.ErrInvaliddata) && bad < maxUnreadable {
				bad++
				continue
			}
			return Packet{}, fmt.Errorf("%s: read: %w", in.path, err)
		}
		if in.annexB != nil && in.pkt.StreamIndex() == in.video.index {
			// One packet in, one out: the filter takes the packet's data
			// and gives it back rewritten, times and flags kept. A packet
			// it refuses (its NAL lengths damaged: ReceivePacket fails) is
			// left out, as a damaged frame: the decoder makes do until the
			// next keyframe. An empty packet would tell the filter the
			// stream ended, and it would refuse everything after.
			if in.pkt.Size() == 0 {
				in.pkt.Unref()
				continue
			}
			if err := in.annexB.SendPacket(in.pkt); err != nil {
				in.pkt.Unref()
				continue
			}
			if err := in.annexB.ReceivePacket(in.pkt); err != nil {
				continue // EAGAIN never comes from this filter; an error left it empty
			}
		}
		p, ok := in.convert()
		in.pkt.Unref()
		if ok {
			return p, nil
		}
	}
}

func (in *Input) convert() (Packet, bool) {
	var si *StreamInfo
	switch idx := in.pkt.StreamIndex(); {
	case in.video != nil && idx == in.video.index:
		si = in.video
	case in.audio != nil && idx == in.audio.index:
		si = in.audio
	default:
		return Packet{}, false
	}
	data := in.pkt.Data()
	if si.Kind == Video && si.VideoCodec == H264 && len(data) > 0 {
		// A packet without a picture (an SEI or a delimiter after the
		// last one, what FFmpeg's parser gives of a raw stream's tail;
		// a muxer that stores parameter sets apart) is no picture:
		// FFmpeg refuses it as a broken one, the clip lasted a picture
		// longer and was warned of as damaged. What it holds goes with
		// the next picture.
		if !H264HasSlice(data) {
			if len(in.h264Held)+len(data) <= 1<<20 {
				in.h264Held = append(in.h264Held, data...)
			}
			return Packet{}, false
		}
		if len(in.h264Held) > 0 {
			data = append(in.h264Held, data...)
			in.h264Held = nil
		}
	}
	p := Packet{Kind: si.Kind, Data: data, PTS: NoPTS,
		Key: in.pkt.Flags().Has(astiav.PacketFlagKey), Preroll: in.pkt.Flags().Has(astiav.PacketFlagDiscard)}
	if in.pkt.Flags().Has(astiav.PacketFlagCorrupt) {
		in.damaged[si.Kind]++
	}
	if pts := in.pkt.Pts(); pts != astiav.NoPtsValue {
		p.PTS = in.fromStart(pts, si.timeBase)
	}
	if d := in.pkt.Duration(); d > 0 {
		if dur := in.toDuration(d, si.timeBase); dur > 0 && dur <= maxPacketDuration[si.Kind] {
			p.Duration = dur
		}
	}
	if si.Kind == Audio {
		// AV_PKT_DATA_SKIP_SAMPLES: samples to drop at the start, then
		// at the end, each 32 bits little-endian.
		if skip := in.pkt.SideData(astiav.PacketSideDataTypeSkipSamples); len(skip) >= 4 {
			p.SkipStart = int(min(binary.LittleEndian.Uint32(skip), math.MaxInt32/OpusChannels))
			if len(skip) >= 8 {
				p.SkipEnd = int(min(binary.LittleEndian.Uint32(skip[4:]), math.MaxInt32/OpusChannels))
			}
		}
		if in.container == Ogg {
			return p, in.chain(&p)
		}
	}
	return p, true
}

// chain follows Ogg chaining (RFC 7845, section 3: files joined end to
// end, each link with headers of its own). FFmpeg hands on a later link's
// OpusHead and OpusTags as if they were audio, and starts its times
// again. Here the headers are taken out (false), the link's first packet
// is marked Restart with its pre-skip, and the link's times are moved on to
// follow the one before, so that the file plays and lasts as all its links.
func (in *Input) chain(p *Packet) bool {
	switch {
	case bytes.HasPrefix(p.Data, []byte("OpusHead")):
		in.linkPreSkip, in.linkGain = opusHead(p.Data)
		return false
	case bytes.HasPrefix(p.Data, []byte("OpusTags")):
		return false
	}
	if in.linkPreSkip >= 0 {
		p.Restart, p.OutputGain = true, in.linkGain
		if p.SkipStart == 0 { // the link's OpusHead says it, where the container did not
			p.SkipStart = in.linkPreSkip
		}
		in.linkPreSkip, in.linkShiftDue = -1, true
	}
	if p.PTS != NoPTS {
		if !in.audioTimed {
			in.audioEnd, in.audioTimed = p.PTS, true
		}
		if in.linkShiftDue {
			in.linkShift, in.linkShiftDue = in.audioEnd-p.PTS, false
		}
		p.PTS += in.linkShift
	}
	dur := p.Duration
	if dur == 0 {
		dur, _ = OpusPacketDuration(p.Data)
	}
	in.audioEnd += dur
	return true
}

// maxPacketDuration is the longest a packet may last: an Opus packet holds
// at most 120 ms, and a picture shown for more than a minute is not a
// video any more. A longer duration is damage, taken as unknown: it would
// set how long a mix of the file lasts.
var maxPacketDuration = [Audio + 1]time.Duration{Video: time.Minute, Audio: 120 * time.Millisecond}

// minFrameRate is the least frame rate taken from a container: a picture
// a minute (see maxPacketDuration). A lower one is unknown.
const minFrameRate = 1.0 / 60

// maxMediaTime bounds a time read from a file (over eleven years): one
// beyond it is damage, brought to the bound, where the retiming takes it
// for a leap like any other, and no sum of two such times can overflow.
const maxMediaTime = 100_000 * time.Hour

// fromStart is time v of time base tb counted from the file's start,
// within ±maxMediaTime. The start is taken off in the stream's own time
// base, before the time is made nanoseconds: a file whose times count from
// the Unix epoch (decades) then reads from 0, where each of its times
// alone would pass the bound.
func (in *Input) fromStart(v int64, tb astiav.Rational) time.Duration {
	if in.start != astiav.NoPtsValue {
		start := astiav.RescaleQ(in.start, astiav.NewRational(1, astiav.TimeBase), tb)
		switch {
		case start == math.MinInt64: // it does not fit the stream's time base: left alone
		case start > 0 && v < math.MinInt64+start:
			v = math.MinInt64 + 1
		case start < 0 && v > math.MaxInt64+start:
			v = math.MaxInt64
		default:
			v -= start
		}
	}
	return in.toDuration(v, tb)
}

// toDuration is v in time base tb, within ±maxMediaTime.
func (in *Input) toDuration(v int64, tb astiav.Rational) time.Duration {
	d := astiav.RescaleQ(v, tb, astiav.NewRational(1, int(time.Second)))
	if d == math.MinInt64 { // av_rescale_q's answer when the result does not fit
		d = math.MaxInt64
		if v < 0 {
			d = math.MinInt64 + 1
		}
	}
	return min(max(time.Duration(d), -maxMediaTime), maxMediaTime)
}

// Close frees the input. It is safe to call more than once.
func (in *Input) Close() {
	if in.annexB != nil {
		in.annexB.Free()
		in.annexB = nil
	}
	if in.pkt != nil {
		in.pkt.Free()
		in.pkt = nil
	}
	if in.fc != nil {
		in.fc.CloseInput() // also frees the context
		in.fc = nil
	}
}
