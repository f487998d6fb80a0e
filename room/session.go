package room

import (
	"encoding/binary"
	"errors"
	"image"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"mcu/codec"
	"mcu/internal/sched"
	"mcu/mixer"
)

// Kind is what a session does in its room.
type Kind int

// The kinds of session.
const (
	// Participant is shown in the mix, sees it and hears everyone but
	// themselves (POST /rooms/{room}/join).
	Participant Kind = iota
	// Publisher is shown in the mix and receives nothing (WHIP).
	Publisher
	// Viewer sees and hears the mix and is not shown (WHEP).
	Viewer
)

// Kinds are the kinds of session, for a metric to start at zero.
var Kinds = []Kind{Participant, Publisher, Viewer}

func (k Kind) String() string {
	return [...]string{"participant", "publisher", "viewer"}[k]
}

// pliInterval is the least time between two keyframe requests to a sender.
const pliInterval = 500 * time.Millisecond

// Session is one PeerConnection in a room.
type Session struct {
	// ID names the session in the room's JSON, to everyone.
	ID   string
	Name string
	Kind Kind
	// Content: the session's picture is shared content (Manager.Share).
	// Set before the session is listed, then only read.
	Content bool
	// Owner is, for a share of a participant's (Manager.Share), their
	// session's ID: they do not hear its sound, and it ends when they
	// leave. Set before the session is listed, then only read.
	Owner string
	// secret, with ID, makes the session's key: only whoever joined knows
	// it, so only they can end the session (Manager.Leave).
	secret string

	iceMu    sync.Mutex      // one ICE change at a time (PatchICE)
	etag     string          // names the session's ICE now
	iceAddrs map[string]bool // the client's candidates' UDP addresses, once counted
	// The ICE restarts the session may make now, as of restartAt
	// (allowRestart).
	restartTokens float64
	restartAt     time.Time

	room     *Room
	pc       *webrtc.PeerConnection
	mix      codec.VideoCodec // the format the session receives the composite in (0: none, a publisher)
	h264Lvl  codec.H264Level  // the H.264 level it decodes up to, if mix is H264 (0: no bound)
	audioOut *clockTrack      // this participant's mix-minus
	pionLogs *pionLogs        // pion's messages about the peer
	video    *mixer.LiveVideo
	audio    *audioJitter
	wg       sync.WaitGroup // the goroutines reading tracks and RTCP
	joined   time.Time

	// mu guards closed and reading: onTrack's wg.Add, the loss and
	// downlink reports happen before close or not at all.
	mu          sync.Mutex
	closed      bool
	h264Counted bool // counted among the room's H.264 receivers, until closed
	closeOnce   sync.Once
	pli         pliGate      // keyframe requests to the sender
	downlink    atomic.Int64 // what the receiver can take of the composite (bit/s), once it has reported
	stream      atomic.Pointer[StreamInfo]
	// A video track, an audio track, is being read.
	videoTaken, audioTaken atomic.Bool
	// Of a simulcast sender's streams, the one decoded, and what is known
	// of each (size, when it last sent).
	videoCurrent atomic.Pointer[webrtc.TrackRemote]
	videoSizes   simulcastSizes
	reading      map[*webrtc.TrackRemote]bool // tracks onTrack has readers for; under mu
	gone         atomic.Bool                  // its peer connection failed or closed: it is leaving
	connected    atomic.Bool                  // its peer connection has been up: media is sent to it
	// connectBy ends the session if its peer has not connected by then
	// (firstConnectTimeout); stopped by close.
	connectBy atomic.Pointer[time.Timer]
}

// Key is what the session's client is given to end it (the last segment of
// its Location): the ID, a dot and the secret. The ID alone, which anyone
// reading the room's JSON sees, ends nothing.
func (s *Session) Key() string { return s.ID + "." + s.secret }

// StreamInfo describes what a participant sends.
type StreamInfo struct {
	VideoCodec string `json:"video_codec,omitempty"`
	Width      int    `json:"width,omitempty"`
	Height     int    `json:"height,omitempty"`
	AudioCodec string `json:"audio_codec,omitempty"`
}

// SessionInfo describes a session for the API.
type SessionInfo struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Kind   string    `json:"kind"`
	Joined time.Time `json:"joined"`
	// Content: their picture is shared content (a screen), shown large
	// in the speaker layout (Manager.Share).
	Content bool `json:"content,omitempty"`
	// Owner: for a share of a participant's, their id (Manager.Share).
	Owner string `json:"owner,omitempty"`
	StreamInfo
	// Audio is there once the participant's audio track is read.
	Audio *AudioStats `json:"audio,omitempty"`
	// Downlink is what the participant can take of the composite (bits
	// per second), estimated from their reports; 0 until they report.
	Downlink int `json:"downlink_bitrate,omitempty"`
	// HalfFrameRate: their link takes much less than the others', and
	// they are sent every second frame of the composite (see downlink).
	HalfFrameRate bool `json:"half_frame_rate,omitempty"`
	// Heard: their voice is in the mixes now (one of the loudest, see
	// mixer.Config.Voices); Speaker: they are the active speaker, who gets
	// the big tile in the speaker layout.
	Heard   bool `json:"heard"`
	Speaker bool `json:"speaker"`
	// Muted: the room's moderator keeps their sound out of the mixes
	// (Room.SetMuted).
	Muted bool `json:"muted,omitempty"`
	// MixCodec is the format the session receives the composite in: VP8,
	// or H.264 for a receiver that cannot take VP8; empty for a publisher.
	MixCodec string `json:"mix_codec,omitempty"`
}

// Info returns what the session is and sends.
func (s *Session) Info() SessionInfo {
	info := SessionInfo{ID: s.ID, Name: s.Name, Kind: s.Kind.String(), Joined: s.joined, Content: s.Content, Owner: s.Owner, Downlink: int(s.downlink.Load())}
	if s.mix != 0 {
		info.MixCodec = s.mix.String()
	}
	if d := s.room.downlink; d != nil {
		info.HalfFrameRate = d.halved(s.ID)
	}
	if st := s.stream.Load(); st != nil {
		info.StreamInfo = *st
	}
	if s.Kind != Viewer && s.room.mixer != nil {
		info.Heard, info.Speaker = s.room.mixer.Voice(s.ID)
		info.Muted = s.room.mixer.Muted(s.ID)
	}
	if s.audioTaken.Load() {
		info.AudioCodec = "opus" // the only audio codec offered
		st := s.audio.Stats()
		info.Audio = &st
	}
	return info
}

// onTrack starts the goroutine that turns a remote track into pictures or
// sound for the mixer.
func (s *Session) onTrack(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	// pion calls this from a goroutine of its own, which may run after
	// close: then the track is not read.
	s.mu.Lock()
	// pion calls it again for a simulcast track whose rid came under a new
	// SSRC, with the same track: a second reader would split its packets
	// with the first. (The first stays on the old SSRC's stream: a peer
	// that renumbers a stream, which browsers do not mid-call, is not
	// followed.)
	if s.closed || s.reading[track] {
		s.mu.Unlock()
		return
	}
	if s.reading == nil {
		s.reading = map[*webrtc.TrackRemote]bool{}
	}
	s.reading[track] = true
	s.wg.Add(2)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		// A receiver of simulcast streams has an RTCP reader for each
		// (ReadRTCP reads the first one's, and panics before it came).
		if rid := track.RID(); rid != "" {
			drainRTCP(func() ([]rtcp.Packet, interceptor.Attributes, error) { return receiver.ReadSimulcastRTCP(rid) })
		} else {
			drainRTCP(receiver.ReadRTCP)
		}
	}()
	go func() {
		defer s.wg.Done()
		// One picture and one voice a participant: a second track of a
		// kind (a screen share, its sound) would take turns with the first
		// in the tile, or scramble the audio's numbering. The first is the
		// first in the offer, whichever sends first. A simulcast
		// sender's streams (one receiver) are each read, and one decoded
		// (videoActive).
		kind := track.Kind()
		switch {
		case s.Kind == Viewer:
			// A WHEP client that offered to send as well: its media is not
			// mixed, and read only to be let go.
		case !s.primary(kind, receiver):
			s.room.log.Warn("a second track of a kind, not mixed", "session", s.ID, "kind", kind)
		case kind == webrtc.RTPCodecTypeVideo && (s.videoTaken.CompareAndSwap(false, true) || track.RID() != ""):
			s.readVideo(track)
		case kind == webrtc.RTPCodecTypeAudio && s.audioTaken.CompareAndSwap(false, true):
			s.readAudio(track)
		}
		// What is not read (a second track; audio after a failure) is
		// still drained: pion's interceptors (reports, NACK,
		// transport-cc) see only the packets read, and the sender would
		// take the unread ones for lost.
		s.drainTrack(track)
	}()
}

// primary reports whether receiver is the session's first media of kind
// in the offer that the peer sends on (sendrecv or sendonly). pion lists
// transceivers in the order they were made, not the offer's, and keeps
// ones the offer never matched (the mix's, when the peer only sends), so
// the offer itself is read.
func (s *Session) primary(kind webrtc.RTPCodecType, receiver *webrtc.RTPReceiver) bool {
	mid := ""
	for _, tr := range s.pc.GetTransceivers() {
		if tr.Receiver() == receiver {
			mid = tr.Mid()
			break
		}
	}
	desc := s.pc.RemoteDescription()
	if mid == "" || desc == nil {
		return false
	}
	// Parsed here, not with desc.Unmarshal, which caches the result in
	// pion's own description, shared by the tracks' goroutines.
	var offer sdp.SessionDescription
	if err := offer.UnmarshalString(desc.SDP); err != nil {
		return false
	}
	// Only the sections pion's answer took count: a rejected one (port 0)
	// has no mid there, and pion leaves some out altogether (a kind it
	// does not know), so they are told by the mids the answer has.
	var answer sdp.SessionDescription
	if local := s.pc.LocalDescription(); local == nil || answer.UnmarshalString(local.SDP) != nil {
		return false
	}
	taken := map[string]bool{}
	for _, md := range answer.MediaDescriptions {
		if m, ok := md.Attribute("mid"); ok && md.MediaName.Port.Value != 0 {
			taken[m] = true
		}
	}
	for _, md := range offer.MediaDescriptions {
		m, _ := md.Attribute("mid")
		if md.MediaName.Media != kind.String() || !taken[m] {
			continue
		}
		// Port 0 rejects a section, unless it is bundle-only (RFC 8843:
		// Firefox marks every section after the first so with max-bundle).
		if _, bundled := md.Attribute("bundle-only"); md.MediaName.Port.Value == 0 && !bundled {
			continue
		}
		if _, ok := md.Attribute("recvonly"); ok {
			continue
		}
		if _, ok := md.Attribute("inactive"); ok {
			continue
		}
		return m == mid
	}
	return false
}

// drainTrack reads a track that is not used until it ends, so that pion's
// buffers and interceptors keep flowing. The payloads it reads count as
// bytes in, as the media read does.
func (s *Session) drainTrack(track rtpReader) {
	buf := make([]byte, maxPacket)
	for {
		n, err := readPacket(track, buf)
		if err != nil {
			return
		}
		s.room.obs.BytesIn(payloadSize(buf[:n]))
	}
}

// payloadSize is the payload's length in an RTP packet (after the header,
// its CSRCs and extension, before any padding), 0 if it does not parse.
func payloadSize(b []byte) int { return len(rtpPayload(b)) }

// rtpPayload is the payload of an RTP packet (after the header, its CSRCs
// and extension, before any padding), nil if it does not parse.
func rtpPayload(b []byte) []byte {
	if len(b) < 12 || b[0]>>6 != 2 {
		return nil
	}
	n := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 { // extension: 4 bytes, then its length in words
		if len(b) < n+4 {
			return nil
		}
		n += 4 + 4*int(binary.BigEndian.Uint16(b[n+2:]))
	}
	end := len(b)
	if b[0]&0x20 != 0 && end > n { // padding: its count in the last byte
		end -= int(b[end-1])
	}
	if end <= n {
		return nil
	}
	return b[n:end]
}

// drainRTCP reads RTCP until the connection closes: pion's interceptors
// (NACK, reports) only see packets that are read.
func drainRTCP(read func() ([]rtcp.Packet, interceptor.Attributes, error)) {
	readRTCP(read, func([]rtcp.Packet) {})
}

// readRTCP hands each RTCP packet read to handle until the connection
// closes. A packet that does not parse is skipped: it comes from the
// remote peer, and ending here would end its keyframe requests, NACKs and
// reports for the rest of the session.
func readRTCP(read func() ([]rtcp.Packet, interceptor.Attributes, error), handle func([]rtcp.Packet)) {
	for {
		pkts, _, err := read()
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe):
			return // pion's buffer closed, or the sender stopped
		case err == nil:
			handle(pkts)
		}
	}
}

// watchAudioLoss reads a receiver's RTCP for the audio it gets (their own
// mix, or the full mix for a viewer): the loss they report for it sets how
// much FEC the encoder they hear adds (mixer.SetAudioLoss).
func (s *Session) watchAudioLoss(sender *webrtc.RTPSender) {
	ssrc := uint32(sender.GetParameters().Encodings[0].SSRC)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		readRTCP(sender.ReadRTCP, s.audioLoss(ssrc))
	}()
}

// audioLoss returns the handler of a receiver's RTCP that passes on the
// loss they report for the audio stream ssrc. pion hands an audio sender
// every RTCP packet with a block about its SSRC, so a compound packet's
// receiver report may hold blocks about the video too. A receiver that
// sends as well reports in its sender reports (browsers do), one that does
// not in receiver reports.
func (s *Session) audioLoss(ssrc uint32) func([]rtcp.Packet) {
	figures := lossFigures(ssrc)
	return func(pkts []rtcp.Packet) {
		figures(pkts, func(fractionLost uint8) { s.reportAudioLoss(lossPercent(fractionLost)) })
	}
}

// reportAudioLoss passes a report on to the mixer unless the session has
// closed: the mixer has forgotten it then (close calls Remove), and a late
// report must not make it count again.
func (s *Session) reportAudioLoss(percent int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.room.mixer.SetAudioLoss(s.ID, percent)
	}
}

// rtpReader is a track RTP packets are read from (*webrtc.TrackRemote).
type rtpReader interface {
	Read(b []byte) (int, interceptor.Attributes, error)
}

// maxBadPackets is how many packets in a row readPacket skips before it
// takes the errors for the end of the track.
const maxBadPackets = 1000

// readPacket reads the track's next RTP packet into buf. A packet that an
// interceptor or the codec lookup refuses (a payload type that was not
// negotiated, a header that does not parse) is skipped: a stray packet
// from the sender, not the end of the track. The track ends when pion
// says so (io.EOF, io.ErrClosedPipe), at a read deadline, or after
// maxBadPackets refused in a row by anything but the codec lookup (each
// refusal takes a packet, so none of this spins).
func readPacket(track rtpReader, buf []byte) (int, error) {
	bad := 0
	for {
		n, _, err := track.Read(buf)
		switch {
		case errors.Is(err, webrtc.ErrCodecNotFound):
			continue // a stray payload type: as many as come
		case err == nil || bad >= maxBadPackets || errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe):
			return n, err
		}
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			return n, err
		}
		bad++
	}
}

// maxPacket is the largest RTP packet read: more than pion's receive MTU
// (1460 bytes), so that nothing it delivers is cut.
const maxPacket = 1500

// simulcastSilence is how long the simulcast stream decoded may send
// nothing before another that sends takes its place (a browser turns its
// upper streams off when its bitrate falls).
const simulcastSilence = time.Second

// videoActive reports whether track's packet pkt (of codec mime), read at
// now, is to be decoded: a simulcast sender's first stream to send is,
// until it has sent nothing for simulcastSilence while another sends,
// which then takes its place (from its next keyframe, which its decoder
// asks for: the packets before it look lost; unless a third fits the tile
// better and will take it), or until another whose size fits the tile
// better (simulcastSizes.fitsBetter) takes its place at a keyframe of its
// own, which is asked for.
func (s *Session) videoActive(track *webrtc.TrackRemote, now time.Time, pkt []byte, mime string) bool {
	pixels, key := keyframeSize(mime, pkt)
	if key && pixels == 0 && strings.EqualFold(mime, webrtc.MimeTypeH264) && !strings.Contains(track.Codec().SDPFmtpLine, "sprop-parameter-sets") {
		// An IDR picture without its SPS: a decoder that starts at it
		// has none but what the SDP gave.
		key = false
	}
	s.videoSizes.seen(track, now, pixels)
	cur := s.videoCurrent.Load()
	if cur == nil && s.videoCurrent.CompareAndSwap(nil, track) || cur == track {
		return true
	}
	box, _, told := s.video.Box()
	tile := box.W * box.H
	// A stream silent, or whose keyframes do not decode, gives its place
	// to another that sends (one of unknown size too).
	if s.videoSizes.gone(cur, now) && s.videoSizes.mayTake(track, tile, told, now) && s.videoCurrent.CompareAndSwap(cur, track) {
		s.room.log.Info("simulcast stream switched", "session", s.ID, "rid", track.RID())
		return true
	}
	if !told {
		return false
	}
	fits, ask := s.videoSizes.fitsBetter(track, cur, tile, now)
	if fits && key && s.videoCurrent.CompareAndSwap(cur, track) {
		s.room.log.Info("simulcast stream switched to fit the tile", "session", s.ID, "rid", track.RID())
		return true
	}
	if ask {
		s.requestKeyframe(uint32(track.SSRC()))
	}
	return false
}

// newVideoIn is the decoding of the session's video stream ssrc: its
// keyframe requests, pictures, CPU time and strains go to the session and
// its room.
func (s *Session) newVideoIn(ssrc uint32) *videoIn {
	in := &videoIn{
		keyframe: func() { s.requestKeyframe(ssrc) },
		pictures: s.receivePictures,
		stream:   &s.stream,
		log:      s.room.log.With("session", s.ID),
		cpu:      func(d time.Duration) { s.room.obs.CPU(mixer.StageVideoDecode, d) },
	}
	if m := s.room.mgr; m != nil {
		in.behind = func() { m.strain.mark(time.Now(), strainDecoder) }
	}
	return in
}

// readVideo rebuilds frames (reordering through a frameAssembler), decodes
// them in this goroutine, scales them to the tile and hands the pictures to
// the mixer. On loss or a decoding error it drops to the next keyframe and
// asks for one. When the sender switches codec it starts over with the new
// one (videoIn).
func (s *Session) readVideo(track *webrtc.TrackRemote) {
	sched.Decoder()
	ssrc := uint32(track.SSRC())
	in := s.newVideoIn(ssrc)
	defer in.close()
	in.fmtp = func() string { return track.Codec().SDPFmtpLine }
	capBitrate := s.bitrateCap(ssrc)
	var place *simulcastPlace
	if track.RID() != "" {
		// A simulcast stream has a decoder while it is the one decoded.
		place = &simulcastPlace{
			take:  func(now time.Time, pkt []byte, mime string) bool { return s.videoActive(track, now, pkt, mime) },
			held:  func() bool { return s.videoCurrent.Load() == track },
			unfit: func(now time.Time) { s.videoSizes.markUnfit(track, now) },
		}
	} else {
		in.start(uint8(track.PayloadType()), track.Codec().MimeType)
	}
	readVideoPackets(track, func() string { return track.Codec().MimeType }, in, place, func(size int, now time.Time) {
		s.room.obs.BytesIn(size)
		capBitrate(now)
	})
}

// videoQueue is how many packets a participant's video reader may take
// from pion ahead of their decoder (up to 96 KB of buffers, made as the
// queue first needs them): more than the packets that come while a frame
// decodes, unless the decoder falls behind for good.
const videoQueue = 64

// simulcastPlace is what a simulcast stream's reader asks of the one
// place its sender's streams share: take reports whether a packet (of
// codec mime) read at now is to be decoded (videoActive), held whether
// the stream still has the place, without taking it; unfit tells that the
// stream's keyframes do not decode (or go beyond the profile) at now, so
// that another takes the place.
type simulcastPlace struct {
	take  func(now time.Time, pkt []byte, mime string) bool
	held  func() bool
	unfit func(now time.Time)
}

// readVideoPackets hands the track's packets to in until the track ends,
// and tells onPacket the payload bytes of each and when it came. If the
// decoder cannot go on, or the stream (a simulcast one, place set) is not
// the one decoded, the packets are still read (and dropped).
//
// The packets are read in a goroutine of their own, not held up by a
// decode: pion's interceptors time and count a packet when it is read
// (transport-cc feedback, NACKs, receiver reports' jitter), and so does
// the frame assembler, so a packet that waited in pion's buffer while a
// frame decoded would look delayed on the network. Only a decoder behind
// by videoQueue packets for good (a server out of CPU) holds the reading
// up: then the sender sees the delay grow and sends less, which is what
// such a server needs, and the frames of packets that waited more than
// maxDecodeLag are dropped up to a keyframe. The decoding side also gives
// up a missing packet at the assembler's deadline when no packet comes to
// end the wait.
func readVideoPackets(track rtpReader, mimeOf func() string, in *videoIn, place *simulcastPlace, onPacket func(size int, now time.Time)) {
	pkts, done, wait := readAhead(track, mimeOf)
	var mime string
	in.mimeType = func() string { return mime }
	failed := false        // the decoder cannot go on
	active := place == nil // the packets are decoded
	stop := func(err error) {
		in.log.Error("video decoder", "err", err)
		failed, active = true, false
		in.close()
	}
	var last time.Time // when the stream last had a packet decoded, or was found holding its place
	// A simulcast stream starts afresh each time it becomes the one
	// decoded (its state is from before a pause, if any), and its decoder
	// goes, with the packets it held, when another takes its place: seen
	// at its next packet, or when it has been silent. One whose decoder
	// failed takes the place no more.
	handle := func(p arrival) {
		if place != nil && !failed && p.n > 1 && place.take(p.at, p.buf[:p.n], p.mime) != active {
			if active = !active; !active {
				in.close()
			} else if _, key := keyframeSize(p.mime, p.buf[:p.n]); !in.restart(p.buf[1]&0x7f, p.mime, !key) {
				failed, active = true, false // no decoder for its codec: the place goes to another
			}
		}
		size := 0
		if active { // a decoder that failed is never active
			last, mime = p.at, p.mime
			var err error
			if size, err = in.push(p.buf[:p.n], p.at, time.Since(p.at)); err != nil {
				stop(err)
			} else if place != nil && in.unfit() {
				place.unfit(p.at)
			}
		}
		if size == 0 {
			// Not taken by the decoder (stopped, or a packet of a codec
			// it cannot start): its bytes came all the same.
			size = payloadSize(p.buf[:p.n])
		}
		onPacket(size, p.at)
		done(p.buf)
	}
	deadline := time.NewTimer(time.Hour)
	deadline.Stop()
	silence := time.NewTimer(time.Hour)
	silence.Stop()
	for {
		// While a packet is missing, the wait for it ends at the
		// assembler's deadline if no packet comes first. Packets already
		// read come first: they arrived before any deadline that has
		// passed meanwhile.
		var expire, silent <-chan time.Time
		if at := in.deadline(); !failed && !at.IsZero() && len(pkts) == 0 {
			deadline.Reset(time.Until(at))
			expire = deadline.C
		}
		if place != nil && active && len(pkts) == 0 {
			silence.Reset(time.Until(last.Add(simulcastSilence)))
			silent = silence.C
		}
		select {
		case <-silent:
			if last = time.Now(); !place.held() {
				active = false
				in.close()
			}
		case p, ok := <-pkts:
			if !ok {
				wait()
				return
			}
			handle(p)
		case <-expire:
			if err := in.expire(time.Now()); err != nil {
				stop(err)
			}
		}
	}
}

// arrival is a packet of a participant's video as readAhead took it from
// pion: buf[:n], read at at, of the codec mime.
type arrival struct {
	buf  []byte
	n    int
	at   time.Time
	mime string
}

// readAhead reads track's packets in a goroutine of its own, up to
// videoQueue of them ahead of whoever takes them from pkts (closed when
// the track ends); each buffer taken is handed back with done. wait waits
// for the goroutine to end.
func readAhead(track rtpReader, mimeOf func() string) (pkts <-chan arrival, done func([]byte), wait func()) {
	out := make(chan arrival, videoQueue)
	free := make(chan []byte, videoQueue)
	var reader sync.WaitGroup
	reader.Go(func() {
		defer close(out)
		var pt uint8
		mime := ""
		made := 0 // buffers are made as the queue first needs them
		for {
			var buf []byte
			select {
			case buf = <-free:
			default:
				if made < videoQueue {
					buf, made = make([]byte, maxPacket), made+1
				} else {
					buf = <-free
				}
			}
			n, err := readPacket(track, buf)
			if err != nil {
				return
			}
			// pion's track takes the codec of the packet it last read:
			// ask now, not when the decoder gets to this packet.
			if n > 1 && (mime == "" || buf[1]&0x7f != pt) {
				pt, mime = buf[1]&0x7f, mimeOf()
			}
			out <- arrival{buf: buf, n: n, at: time.Now(), mime: mime}
		}
	})
	return out, func(buf []byte) { free <- buf }, reader.Wait
}

// receivePictures moves what the decoder produced into the mixer's slot,
// scaled to the participant's tile.
func (s *Session) receivePictures(dec *codec.VideoDecoder, arrival time.Time) {
	for {
		f := s.video.Buffer()
		ok, err := dec.ReceiveScaled(f, s.tileTarget)
		if err != nil || !ok {
			s.video.Discard(f)
			return
		}
		f.Arrival = arrival
		if st := s.stream.Load(); st == nil || st.Width != f.SourceWidth || st.Height != f.SourceHeight {
			s.stream.Store(&StreamInfo{VideoCodec: dec.Codec().String(), Width: f.SourceWidth, Height: f.SourceHeight})
		}
		s.video.Put(f)
	}
}

// tileTarget crops and scales a decoded picture for the participant's
// tile, once the mixer has said what it is.
func (s *Session) tileTarget(w, h int) (image.Rectangle, image.Point) {
	size, aspect, ok := s.video.Box()
	if !ok {
		return image.Rect(0, 0, w, h), image.Pt(w, h)
	}
	return mixer.InTile(w, h, size, aspect)
}

// requestKeyframe sends a PLI to the sender, at most once per pliInterval.
func (s *Session) requestKeyframe(ssrc uint32) {
	if !s.pli.allow(time.Since(s.joined)) {
		return
	}
	if err := s.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err == nil {
		s.room.obs.PLISent()
	}
}

// pliGate lets a keyframe request through at most once per pliInterval,
// from any goroutine. It counts time from the session's start on the
// monotonic clock: compared as wall-clock times, a clock stepped back (NTP
// at boot, a VM resumed) would hold every request for as long as the step.
type pliGate struct {
	last atomic.Int64 // when the last request went, + pliInterval; 0: none yet
}

// allow reports whether a request at elapsed (time since the session
// started) may go, and if so counts it as the last.
func (g *pliGate) allow(elapsed time.Duration) bool {
	now := int64(elapsed + pliInterval) // the first request passes, even at 0
	last := g.last.Load()
	return now-last >= int64(pliInterval) && g.last.CompareAndSwap(last, now)
}

// readAudio hands the participant's Opus packets to their jitter buffer,
// which puts them back in order and decodes them (audioJitter).
func (s *Session) readAudio(track *webrtc.TrackRemote) {
	buf := make([]byte, maxPacket)
	var pkt rtp.Packet
	for {
		n, err := readPacket(track, buf)
		if err != nil {
			return
		}
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		s.room.obs.BytesIn(len(pkt.Payload))
		s.audio.PushRTP(pkt.SequenceNumber, pkt.Timestamp, pkt.Payload)
	}
}

// close takes the session out of the mix at once, then closes its
// PeerConnection and waits for its goroutines.
func (s *Session) close() {
	s.closeOnce.Do(func() {
		if t := s.connectBy.Swap(nil); t != nil {
			t.Stop()
		}
		s.markClosed()
		// A viewer's too: the mixer forgets the loss they reported, the
		// room what they can take of the composite.
		s.room.mixer.Remove(s.ID)
		if s.Kind != Publisher {
			s.room.downlink.forget(s.ID)
		}
		s.closePeer()
	})
}

// markClosed keeps track readers from starting (onTrack checks closed)
// and the receiver's reports from reaching the room.
func (s *Session) markClosed() {
	s.mu.Lock()
	s.closed = true
	counted := s.h264Counted
	s.h264Counted = false
	s.mu.Unlock()
	if counted {
		s.room.h264Receivers(-1, s.h264Lvl)
	}
}

// receiveH264 counts the session among the room's receivers of the
// composite in H.264 until it closes.
func (s *Session) receiveH264() {
	s.mu.Lock()
	counted := !s.closed
	s.h264Counted = counted
	s.mu.Unlock()
	if counted {
		s.room.h264Receivers(1, s.h264Lvl)
	}
}

// mixKeyframe asks for a keyframe of the composite in the session's
// format.
func (s *Session) mixKeyframe() {
	if s.mix == codec.H264 {
		s.room.mixer.RequestH264Keyframe()
	} else {
		s.room.mixer.RequestKeyframe()
	}
}

// closePeer closes the PeerConnection, which ends the goroutines' reads,
// waits for them, and writes out pion's messages held back.
func (s *Session) closePeer() {
	if err := s.pc.Close(); err != nil {
		s.room.log.Debug("close peer connection", "session", s.ID, "err", err)
	}
	s.wg.Wait()
	s.pionLogs.flush()
}
