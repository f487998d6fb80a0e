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
		"no grant":             forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1800003600,"grants":[]}`),
		"a claim named twice":  forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1800003600,"room":"board"}`),
		"exp out of range":     forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1e300}`),
		"claims an array":      forge(secret, `{"alg":"HS256"}`, `[{"room":"r","exp":1800003600}]`),
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

// TestSignRefuses: Sign makes no token Verify would refuse, nor any under
// a short secret.
func TestSignRefuses(t *testing.T) {
	for _, c := range []Claims{{Expires: 1}, {Room: "r"}, {Room: "r", Expires: 1, Grants: []Grant{"admin"}}, {Room: "r", Expires: 1, Grants: []Grant{}}} {
		if tok, err := Sign(secret, c); err == nil {
			t.Errorf("Sign(%+v) = %q, want an error", c, tok)
		}
	}
	// A secret under 32 bytes signs nothing, and verifies nothing.
	short := secret[:MinSecret-1]
	if tok, err := Sign(short, Claims{Room: "r", Expires: 1}); !errors.Is(err, ErrShortSecret) {
		t.Errorf("Sign under a %d-byte secret: %q, %v; want ErrShortSecret", len(short), tok, err)
	}
	if c, err := Verify(short, forge(short, `{"alg":"HS256"}`, `{"room":"r","exp":1800003600}`), now); !errors.Is(err, ErrShortSecret) {
		t.Errorf("Verify under a %d-byte secret: %+v, %v; want ErrShortSecret", len(short), c, err)
	}
}

// TestEmptyGrantsAllowNothing: a token whose grants are an empty list
// (an application that computed a person's grants and found none) allows
// nothing; only a token that names no grants at all gets the default
// (join and watch).
func TestEmptyGrantsAllowNothing(t *testing.T) {
	tok := forge(secret, `{"alg":"HS256","typ":"JWT"}`, `{"room":"r","exp":1800003600,"grants":[]}`)
	c, err := Verify(secret, tok, now)
	if err == nil && (c.Allows("r", Join) || c.Allows("r", Watch) || c.Allows("r", Control)) {
		t.Errorf("grants [] verified to %+v, which allows join/watch; want nothing allowed (or the token refused)", c)
	}
	// Absent and null keep the documented default.
	for _, p := range []string{`{"room":"r","exp":1800003600}`, `{"room":"r","exp":1800003600,"grants":null}`} {
		c, err := Verify(secret, forge(secret, `{"alg":"HS256"}`, p), now)
		if err != nil || !c.Allows("r", Join) || !c.Allows("r", Watch) || c.Allows("r", Control) {
			t.Errorf("%s: %+v, %v; want join and watch", p, c, err)
		}
	}
}

// TestNumericDates: exp and nbf are NumericDates (RFC 7519 2: "seconds
// ... ignoring leap seconds", non-integer values allowed), as a JWT
// library writes them when given time.time()+3600 (PyJWT) or a float.
func TestNumericDates(t *testing.T) {
	for _, p := range []string{
		`{"room":"r","exp":1800003600.5}`,
		`{"room":"r","exp":1.8000036e9}`,
		`{"room":"r","exp":1800003600,"nbf":1799999999.25}`,
	} {
		if _, err := Verify(secret, forge(secret, `{"alg":"HS256"}`, p), now); err != nil {
			t.Errorf("%s: %v; want it taken", p, err)
		}
	}
	// ... and a fraction does not stretch a token past its second.
	if _, err := Verify(secret, forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1800000000.9}`), now); err == nil {
		t.Error("exp 1800000000.9 taken at 1800000000; want expired")
	}
}

// TestClaimNamesExact: claims are matched by their exact names, as every
// other JWT library (and the application that signed them) reads them:
// "Room" is not "room", and a header's "ALG" is not "alg".
func TestClaimNamesExact(t *testing.T) {
	c, err := Verify(secret, forge(secret, `{"alg":"HS256"}`, `{"room":"lobby","exp":1800003600,"Room":"board","GRANTS":["control"]}`), now)
	if err == nil && (c.Room != "lobby" || c.Allows("lobby", Control)) {
		t.Errorf("claims %+v: want room lobby without control (the other keys are other claims)", c)
	}
}

// TestNotBeforeSkew: a token whose nbf is its making (jsonwebtoken's
// notBefore: 0, SDKs writing nbf = iat = now), made on an application
// server whose clock is a second ahead of mcu's, is taken: RFC 7519
// 4.1.5's "small leeway ... to account for clock skew". Its exp is not
// stretched.
func TestNotBeforeSkew(t *testing.T) {
	if _, err := Verify(secret, forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1800003600,"nbf":1800000001}`), now); err != nil {
		t.Errorf("nbf a second ahead: %v; want it taken", err)
	}
	if _, err := Verify(secret, forge(secret, `{"alg":"HS256"}`, `{"room":"r","exp":1800003600,"nbf":1800003000}`), now); err == nil {
		t.Error("nbf 50 minutes ahead taken")
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
