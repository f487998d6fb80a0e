package room

// Which addresses a client's UDP candidates may make the server send its
// ICE checks to.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// udpTarget is a UDP socket on loopback counting the datagrams it gets.
func udpTarget(t *testing.T) (port int, got *atomic.Int64, first *atomic.Value) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	got, first = &atomic.Int64{}, &atomic.Value{}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			first.CompareAndSwap(nil, string(buf[:n]))
			got.Add(1)
		}
	}()
	return c.LocalAddr().(*net.UDPAddr).Port, got, first
}

// TestSecurityUnspecifiedCandidateNotChecked: a candidate at 0.0.0.0 (on
// Linux, this host) or a multicast address gets no check: neither is an
// address a peer can be at.
func TestSecurityUnspecifiedCandidateNotChecked(t *testing.T) {
	port, got, first := udpTarget(t)
	m := testManager(t)
	pc, _ := recvPeer(t)
	offer := gatheredOffer(t, pc)
	lines := fmt.Sprintf("a=candidate:900 1 udp 1 0.0.0.0 %d typ host\r\na=candidate:901 1 udp 1 224.0.0.1 %d typ host\r\n", port, port)
	offer = strings.Replace(offer, "a=mid:0\r\n", "a=mid:0\r\n"+lines, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := m.Join(ctx, "x", "", Participant, offer); err != nil {
		t.Fatalf("join refused: %v", err)
	}
	time.Sleep(3 * time.Second)
	if n := got.Load(); n > 0 {
		p, _ := first.Load().(string)
		t.Errorf("a socket of this host's loopback got %d datagrams (ICE checks) for a candidate at 0.0.0.0; the first %q", n, p)
	}
}

// TestSecurityOfferUfragIsICEChars: an offer's ICE username fragment,
// which the server's checks carry (to any address its candidates name),
// is held to RFC 8839's characters, as a restart's is (parseFragment).
func TestSecurityOfferUfragIsICEChars(t *testing.T) {
	m := testManager(t)
	pc, _ := recvPeer(t)
	offer := gatheredOffer(t, pc)
	ufrag := regexp.MustCompile(`a=ice-ufrag:(\S+)`).FindStringSubmatch(offer)[1]
	offer = strings.ReplaceAll(offer, "a=ice-ufrag:"+ufrag, "a=ice-ufrag:<13>FORGED log line, from an offer")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := m.Join(ctx, "x", "", Participant, offer); !errors.Is(err, ErrBadOffer) {
		t.Errorf("an offer whose a=ice-ufrag is %q: %v, want ErrBadOffer", "<13>FORGED log line, from an offer", err)
	}
}
