package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"

	"mcu/internal/logbuf"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/room"
)

// TestUnusableOfferOpensNoRoom: an offer refused 400 because its
// video takes neither VP8 nor H.264 (README) is refused only after a
// room, its mixer and its VP8 encoder, were opened for it (and closed
// again): each such POST to a new room name makes the server open and
// close an encoder. checkOffer refuses the other unusable offers "before
// a room (and its encoder) is opened for it"; this one should be too.
func TestUnusableOfferOpensNoRoom(t *testing.T) {
	var logs logbuf.Buffer
	srv := testserver.Start(t, func(c *room.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000}, PayloadType: 98}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	offer := mediatest.ReceivingOffer(t, me, webrtc.RTPCodecTypeVideo)
	const n = 5
	for i := range n {
		resp, err := http.Post(fmt.Sprintf("%s/whep/r%d", srv.URL, i), "application/sdp", strings.NewReader(offer))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("a VP9-only viewer: %d %s, want 400", resp.StatusCode, body)
		}
	}
	if opened := strings.Count(logs.String(), `msg="room opened"`); opened > 0 {
		t.Errorf("%d offers refused 400 (video in neither VP8 nor H.264) opened %d rooms, each a mixer and an encoder, to close them again", n, opened)
	}
}
