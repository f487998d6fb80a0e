package client

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"mcu/internal/mediatest"
)

// section sums up an offer's media section: its kind, its direction, the
// names of the codecs it offers (sorted) and the track id of its msid.
func section(md *sdp.MediaDescription) string {
	dir := ""
	var codecs []string
	track := ""
	for _, a := range md.Attributes {
		switch a.Key {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			dir = a.Key
		case "rtpmap":
			_, name, _ := strings.Cut(a.Value, " ")
			name, _, _ = strings.Cut(name, "/")
			if name != "rtx" && !slices.Contains(codecs, name) {
				codecs = append(codecs, name)
			}
		case "msid":
			_, track, _ = strings.Cut(a.Value, " ")
		}
	}
	slices.Sort(codecs)
	return fmt.Sprintf("%s %s %s %s", md.MediaName.Media, dir, strings.Join(codecs, ","), track)
}

// TestOfferSections: what a client offers, per endpoint and options: a
// participant's senders are sendrecv and it takes the mix of a kind it
// does not send on a recvonly section; a publisher sends only; a viewer
// receives only; a participant with H264 set that sends VP8 takes the mix
// on a section of its own offering H.264 alone. Each sent track is named
// by its kind.
func TestOfferSections(t *testing.T) {
	peer := fakeStart(t)
	ivf, ogg, h264 := mediatest.TestdataPath(t, "p01.ivf"), mediatest.TestdataPath(t, "p01.ogg"), mediatest.TestdataPath(t, "p01.h264")
	for _, c := range []struct {
		name string
		opts Options
		want []string
	}{
		{"a participant with sound alone", Options{Endpoint: Join, Audio: ogg},
			[]string{"audio sendrecv G722,PCMA,PCMU,opus audio", "video recvonly AV1,H264,H265,VP8,VP9 "}},
		{"a participant with a picture alone", Options{Endpoint: Join, Video: ivf},
			[]string{"video sendrecv AV1,H264,H265,VP8,VP9 video", "audio recvonly G722,PCMA,PCMU,opus "}},
		{"a publisher", Options{Endpoint: WHIP, Video: ivf, Audio: ogg},
			[]string{"video sendonly AV1,H264,H265,VP8,VP9 video", "audio sendonly G722,PCMA,PCMU,opus audio"}},
		{"a viewer", Options{Endpoint: WHEP},
			[]string{"video recvonly AV1,H264,H265,VP8,VP9 ", "audio recvonly G722,PCMA,PCMU,opus "}},
		{"a VP8 participant taking H.264", Options{Endpoint: Join, H264: true, Video: ivf, Audio: ogg},
			[]string{"video sendonly AV1,H264,H265,VP8,VP9 video", "audio sendrecv G722,PCMA,PCMU,opus audio", "video recvonly H264 "}},
		{"an H.264 participant", Options{Endpoint: Join, H264: true, Video: h264, Audio: ogg},
			[]string{"video sendrecv H264 video", "audio sendrecv opus audio"}},
	} {
		opts := c.opts
		opts.Server, opts.Room, opts.Name = peer.srv.URL, "r", "n"
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cl, err := Connect(ctx, opts)
		cancel()
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var d sdp.SessionDescription
		if err := d.UnmarshalString(cl.pc.LocalDescription().SDP); err != nil {
			t.Fatal(err)
		}
		cl.Close()
		var got []string
		for _, md := range d.MediaDescriptions {
			got = append(got, section(md))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: offered\n\t%s\nwant\n\t%s", c.name, strings.Join(got, "\n\t"), strings.Join(c.want, "\n\t"))
		}
	}
}

// TestSentFormat: a publisher's track is each clip in its own format: VP9
// as VP9, AV1 as AV1, H.264 as constrained baseline in packetization mode
// 1 (the track's format picks the payload type its packets go out with).
func TestSentFormat(t *testing.T) {
	peer := fakeStart(t)
	for _, c := range []struct {
		clip, mime, fmtp string
	}{
		{"p01.ivf", webrtc.MimeTypeVP8, ""},
		{"p12.vp9.ivf", webrtc.MimeTypeVP9, ""},
		{"p12.av1.ivf", webrtc.MimeTypeAV1, ""},
		{"p01.h264", webrtc.MimeTypeH264, "profile-level-id=42e01f"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cl, err := Connect(ctx, Options{Server: peer.srv.URL, Room: "r", Endpoint: WHIP, Video: mediatest.TestdataPath(t, c.clip)})
		cancel()
		if err != nil {
			t.Errorf("%s: %v", c.clip, err)
			continue
		}
		var mime, fmtp string
		for _, tr := range cl.pc.GetTransceivers() {
			if s := tr.Sender(); s != nil && s.Track() != nil {
				if track, ok := s.Track().(*webrtc.TrackLocalStaticSample); ok {
					mime, fmtp = track.Codec().MimeType, track.Codec().SDPFmtpLine
				}
			}
		}
		cl.Close()
		if !strings.EqualFold(mime, c.mime) || !strings.Contains(fmtp, c.fmtp) || c.mime == webrtc.MimeTypeH264 && !strings.Contains(fmtp, "packetization-mode=1") {
			t.Errorf("%s sent as %s (%s), want %s (%s)", c.clip, mime, fmtp, c.mime, c.fmtp)
		}
	}
}
