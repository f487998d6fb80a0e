package sdpfrag

import (
	"testing"

	"github.com/pion/sdp/v3"
)

// TestCredentialsFirst: the first ufrag and pwd are read, session-level
// before a media section's, whatever follows.
func TestCredentialsFirst(t *testing.T) {
	desc := "v=0\r\na=ice-ufrag:first\r\na=ice-pwd:firstpasswordfirstpassword\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:second\r\na=ice-pwd:secondpasswordsecondpass\r\n"
	if u, p := Credentials(desc); u != "first" || p != "firstpasswordfirstpassword" {
		t.Errorf("Credentials = %q, %q; want the first ones", u, p)
	}
	if u, p := Credentials("a=ice-ufrag:lf\na=ice-pwd:lfpasswordlfpassword\n"); u != "lf" || p != "lfpasswordlfpassword" {
		t.Errorf("Credentials of lines ended by LF alone = %q, %q", u, p)
	}
}

// TestWithICEEnd: a=end-of-candidates is added only with end (a client
// whose fragment did not end its candidates may trickle more), only to
// the first section, after its candidates; the old ones go.
func TestWithICEEnd(t *testing.T) {
	attrs := []sdp.Attribute{
		{Key: "mid", Value: "0"}, {Key: "ice-ufrag", Value: "old"}, {Key: "ice-pwd", Value: "oldpwd"},
		{Key: "candidate", Value: "1 1 udp 1 10.0.0.1 5000 typ host"}, {Key: "end-of-candidates"},
	}
	count := func(as []sdp.Attribute, key string) int {
		n := 0
		for _, a := range as {
			if a.Key == key {
				n++
			}
		}
		return n
	}
	cands := []string{"2 1 udp 1 127.0.0.1 6000 typ host"}
	open := WithICE(attrs, "new", "newpwd", cands, true, false)
	if count(open, "end-of-candidates") != 0 || count(open, "candidate") != 1 {
		t.Errorf("without end: %v; want the one new candidate and no end-of-candidates", open)
	}
	ended := WithICE(attrs, "new", "newpwd", cands, true, true)
	if n := len(ended); n == 0 || ended[n-1].Key != "end-of-candidates" || ended[n-2].Value != cands[0] {
		t.Errorf("with end: %v; want the new candidate, then end-of-candidates", ended)
	}
	other := WithICE(attrs, "new", "newpwd", cands, false, true)
	if count(other, "end-of-candidates") != 0 || count(other, "candidate") != 0 {
		t.Errorf("another section: %v; want no candidates and no end", other)
	}
	for _, a := range ended {
		if a.Key == "ice-ufrag" && a.Value != "new" || a.Key == "ice-pwd" && a.Value != "newpwd" {
			t.Errorf("credentials not replaced: %v", ended)
		}
	}
}
