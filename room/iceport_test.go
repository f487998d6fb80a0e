package room

import "testing"

// TestICEServerPortChecked: a port no server can have is a mistake found
// at start, not an ICE server named in every answer's Link header.
func TestICEServerPortChecked(t *testing.T) {
	for _, s := range []string{"stun:127.0.0.1:99999", "turn:u:p@127.0.0.1:70000", "stun:127.0.0.1:0"} {
		if _, err := ParseICEServer(s); err == nil {
			t.Errorf("ParseICEServer(%q): no error, want the port refused", s)
		}
	}
	for _, s := range []string{"stun:127.0.0.1:3478", "stun:127.0.0.1", "turn:u:p@127.0.0.1:3478?transport=udp", "turns:u:p@h.example"} {
		if _, err := ParseICEServer(s); err != nil {
			t.Errorf("ParseICEServer(%q): %v", s, err)
		}
	}
}
