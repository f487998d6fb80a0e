package roomtoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	secret = []byte("a-secret-of-the-server-0123456789")
	now    = time.Unix(1_800_000_000, 0)
)

func sign(t *testing.T, c Claims) string {
	t.Helper()
	tok, err := Sign(secret, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// forge signs header and payload (JSON) under key, as another JWT library
// (or an attacker) would write them.
func forge(key []byte, header, payload string) string {
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signed))
	return signed + "." + enc.EncodeToString(m.Sum(nil))
}

// TestRoundTrip: a token made by Sign verifies to its claims until it
// expires, and its grants decide what it allows, in its room only.
func TestRoundTrip(t *testing.T) {
	tok := sign(t, Claims{Room: "standup", Expires: now.Add(time.Hour).Unix(), Grants: []Grant{Watch}})
	c, err := Verify(secret, tok, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Room != "standup" || !c.Allows("standup", Watch) || c.Allows("standup", Join) || c.Allows("standup", Control) {
		t.Errorf("claims %+v: want watch in standup only", c)
	}
	if c.Allows("other", Watch) {
		t.Error("a token of standup allows watching another room")
	}
	if _, err := Verify(secret, tok, now.Add(time.Hour)); !errors.Is(err, ErrInvalid) {
		t.Errorf("at its expiry: %v, want ErrInvalid", err)
	}
	def, err := Verify(secret, sign(t, Claims{Room: "r", Expires: now.Unix() + 1}), now)
	if err != nil || !def.Allows("r", Join) || !def.Allows("r", Watch) || def.Allows("r", Control) {
		t.Errorf("no grants named: %+v, %v; want join and watch, not control", def, err)
	}
}

// TestTokensAnotherLibraryWrites: a token written with its own header
// layout and claims in another order (as JWT libraries do) is taken.
func TestTokensAnotherLibraryWrites(t *testing.T) {
	tok := forge(secret, `{"typ":"JWT","alg":"HS256"}`, `{"grants":["control"],"exp":1800000600,"iat":1799999000,"room":"board"}`)
	c, err := Verify(secret, tok, now)
	if err != nil || !c.Allows("board", Control) {
		t.Errorf("%+v, %v; want control of board", c, err)
	}
}

// TestVerifyRefuses: every kind of bad token is refused with ErrInvalid.
func TestVerifyRefuses(t *testing.T) {
	good := sign(t, Claims{Room: "r", Expires: now.Add(time.Hour).Unix()})
	h, rest, _ := strings.Cut(good, ".")
	p, sig, _ := strings.Cut(rest, ".")
	enc := base64.RawURLEncoding
	other := enc.EncodeToString([]byte(`{"room":"boardroom","exp":1800003600}`))
	for name, tok := range map[string]string{
		"another secret":       forge([]byte("not-the-secret-of-the-server"), `{"alg":"HS256"}`, `{"room":"r","exp":1800003600}`),
		"claims changed":       h + "." + other + "." + sig,
		"alg none":             enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + p + ".",
		"alg none, signed":     forge(secret, `{"alg":"none"}`, `{"room":"r","exp":1800003600}`),
		"alg HS512":            forge(secret, `{"alg":"HS512"}`, `{"room":"r","exp":1800003600}`),
		"crit header":          forge(secret, `{"alg":"HS256","crit":["exp"]}`, `{"room":"r","exp":1800003600}`),
		"no exp":               forge(secret, `{"alg":"HS256"}`, `{"room":"r"}`),
		"no room":              forge(secret, `{"alg":"HS256"}`, `{"exp":1800003600}`),
		"exp not a number":     forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":"tomorrow"}`),
		"expired":              forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1799999999}`),
		"not yet":              forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1800003600,"nbf":1800000060}`),
		"unknown grant":        forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1800003600,"grants":["admin"]}`),
		"two parts":            h + "." + p,
		"four parts":           good + ".x",
		"signature not base64": h + "." + p + ".!!!",
		"header not JSON":      forge(secret, `alg=HS256`, `{"room":"r","exp":1800003600}`),
		"claims not JSON":      forge(secret, `{"alg":"HS256"}`, `room=r`),
		"too long":             forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1800003600,"pad":"`+strings.Repeat("x", MaxLen)+`"}`),
		"the secret itself":    string(secret),
		"empty":                "",
	} {
		if c, err := Verify(secret, tok, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %+v, %v; want ErrInvalid", name, c, err)
		}
	}
}

// TestSignRefuses: Sign makes no token Verify would refuse.
func TestSignRefuses(t *testing.T) {
	for _, c := range []Claims{{Expires: 1}, {Room: "r"}, {Room: "r", Expires: 1, Grants: []Grant{"admin"}}} {
		if tok, err := Sign(secret, c); err == nil {
			t.Errorf("Sign(%+v) = %q, want an error", c, tok)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1800003600}`))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := Verify(secret, tok, now)
		if err == nil && (c.Room == "" || c.Expires <= now.Unix()) {
			t.Errorf("%q verified to %+v", tok, c)
		}
	})
}
