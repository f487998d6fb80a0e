package roomtoken

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// TestSignatureStrippedOrCut: a token whose header names HS256 but whose
// signature is stripped, cut short or lengthened is refused: the whole
// HMAC, and only it, proves the token was made with the secret (a
// signature of one byte would be guessed in 256 tries).
func TestSignatureStrippedOrCut(t *testing.T) {
	good := forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1800003600,"grants":["control"]}`)
	if _, err := Verify(secret, good, now); err != nil {
		t.Fatalf("the token as signed: %v", err)
	}
	signed := good[:strings.LastIndex(good, ".")]
	sig, err := base64.RawURLEncoding.DecodeString(good[len(signed)+1:])
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string][]byte{
		"stripped":       nil,
		"one byte":       sig[:1],
		"16 bytes":       sig[:16],
		"one byte short": sig[:len(sig)-1],
		"one byte more":  append(append([]byte(nil), sig...), 0),
	} {
		tok := signed + "." + base64.RawURLEncoding.EncodeToString(s)
		if c, err := Verify(secret, tok, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("signature %s: %+v, %v; want ErrInvalid", name, c, err)
		}
	}
}

// TestClaimsOfAnotherType: grants or nbf written as another type than the
// RFC's (a string where a list or a number goes) are refused, not read
// as absent: "grants":"watch" would otherwise allow join too (the
// default), and "nbf":"..." would make a token valid before its time.
// An nbf past any time refuses the token, it does not wrap around.
func TestClaimsOfAnotherType(t *testing.T) {
	for _, p := range []string{
		`{"room":"r","exp":1800003600,"grants":"watch"}`,
		`{"room":"r","exp":1800003600,"grants":{"watch":true}}`,
		`{"room":"r","exp":1800003600,"nbf":"2027-01-15T08:00:00Z"}`,
		`{"room":"r","exp":1800003600,"nbf":1e300}`,
		`{"room":"r","exp":1800003600,"nbf":-1e300}`,
	} {
		c, err := Verify(secret, forge(secret, `{"alg":"HS256"}`, p), now)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %+v, %v; want ErrInvalid", p, c, err)
		}
	}
}

// TestNotBeforeEdges: nbf is taken up to NotBeforeLeeway ahead of the
// clock, to the second: a fraction is rounded up, never down, so that
// the leeway is not stretched.
func TestNotBeforeEdges(t *testing.T) {
	for p, ok := range map[string]bool{
		`{"room":"r","exp":1800003600,"nbf":1800000030}`:   true,
		`{"room":"r","exp":1800003600,"nbf":1800000029.5}`: true,
		`{"room":"r","exp":1800003600,"nbf":1800000030.5}`: false,
		`{"room":"r","exp":1800003600,"nbf":1800000031}`:   false,
	} {
		_, err := Verify(secret, forge(secret, `{"alg":"HS256"}`, p), now)
		if (err == nil) != ok {
			t.Errorf("%s at %d: %v, want taken %v", p, now.Unix(), err, ok)
		}
	}
}

// TestRoomMatchedExactly: a token allows its own room alone; room names
// are case-sensitive, and one room's name may begin another's.
func TestRoomMatchedExactly(t *testing.T) {
	c, err := Verify(secret, sign(t, Claims{Room: "board", Expires: now.Unix() + 60, Grants: []Grant{Control}}), now)
	if err != nil || !c.Allows("board", Control) {
		t.Fatalf("%+v, %v; want control of board", c, err)
	}
	for _, room := range []string{"Board", "BOARD", "board2", "board-b", "boar", ""} {
		if c.Allows(room, Join, Watch, Control) {
			t.Errorf("a token of board allows room %q", room)
		}
	}
	// Asked for nothing, nothing is allowed; nor by an empty list.
	if c.Allows("board") {
		t.Error("Allows with no grants asked: true")
	}
	if (Claims{Room: "board", Expires: 1, Grants: []Grant{}}).Allows("board", Join, Watch, Control) {
		t.Error("claims of an empty list of grants allow something")
	}
}

// TestTokenLengthAndStrictness: a token over MaxLen (a couple of
// kilobytes) is refused before it is parsed, whatever MaxLen is set to;
// the header's alg is "HS256" exactly (JOSE names are case-sensitive,
// RFC 7515 4.1.1), and nothing may follow the claims object.
func TestTokenLengthAndStrictness(t *testing.T) {
	pad := func(n int) string {
		return forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1800003600,"pad":"`+strings.Repeat("x", n)+`"}`)
	}
	if tok := pad(1400); len(tok) > 2048 {
		t.Fatalf("a token of %d characters: make it shorter", len(tok))
	} else if _, err := Verify(secret, tok, now); err != nil {
		t.Errorf("a token of %d characters: %v; want it taken", len(tok), err)
	}
	if tok := pad(3000); len(tok) <= 4096 {
		t.Fatalf("a token of %d characters: make it longer", len(tok))
	} else if _, err := Verify(secret, tok, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("a token of %d characters: %v; want ErrInvalid", len(tok), err)
	}
	for name, tok := range map[string]string{
		"alg hs256":         forge(secret, `{"alg":"hs256"}`, `{"room":"r","exp":1800003600}`),
		"more after claims": forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1800003600}{"room":"board"}`),
		"claims unended":    forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1800003600`),
	} {
		if c, err := Verify(secret, tok, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %+v, %v; want ErrInvalid", name, c, err)
		}
	}
}
