package room

import "testing"

// TestTURNServerIPv6Refused: pion reaches a TURN server over IPv4 alone
// (it skips IPv6 for relays, and an IPv6 address from its IPv4 socket
// fails: "non-IPv4 address" at every join, no relay candidate): a TURN
// server at an IPv6 address is a mistake found at start.
func TestTURNServerIPv6Refused(t *testing.T) {
	for _, s := range []string{"turn:u:p@[::1]:3478", "turn:u:p@[2001:db8::1]:3478?transport=tcp", "turns:u:p@[2001:db8::1]:5349"} {
		if _, err := ParseICEServer(s); err == nil {
			t.Errorf("ParseICEServer(%q): no error, want the IPv6 address refused", s)
		}
	}
	for _, s := range []string{"stun:[2001:db8::1]:3478", "turn:u:p@192.0.2.1:3478", "turn:u:p@turn.example.com"} {
		if _, err := ParseICEServer(s); err != nil {
			t.Errorf("ParseICEServer(%q): %v", s, err)
		}
	}
}
