// Package roomtoken makes and checks room tokens: what a server that needs
// a secret (-auth-token) lets a client do in one room, until a time,
// without the client holding the secret itself.
//
// A room token is a JSON Web Token (RFC 7519) signed with HMAC-SHA256
// (HS256) under the server's secret, so that an application's own server
// can make one with any JWT library. Its claims:
//
//	room    the room's name (required)
//	exp     when it expires, in seconds since 1970 (required)
//	nbf     not before, in seconds since 1970 (optional)
//	grants  what it allows there, of "join", "watch" and "control"
//	        (optional; absent: join and watch)
//
// Only HS256 is taken: a token naming another algorithm ("none" above all)
// is refused, whatever its signature.
package roomtoken

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Grant is something a room token allows in its room.
type Grant string

const (
	// Join: join as a participant (POST /rooms/{room}/join) or publish
	// (WHIP), and read the room's state.
	Join Grant = "join"
	// Watch: view the mix (WHEP), and read the room's state.
	Watch Grant = "watch"
	// Control: start and stop the room's recording, set its layout, mute
	// or remove someone in it, lock it, and read its state.
	Control Grant = "control"
)

// DefaultGrants are a token's grants when it names none: what a person
// in a meeting does.
var DefaultGrants = []Grant{Join, Watch}

// MinSecret is the least length of a secret room tokens are signed
// under: an HS256 key of at least 256 bits (RFC 7518 3.2; JWT libraries
// such as jjwt refuse shorter ones). Every holder of a token can try to
// guess the secret from it, offline.
const MinSecret = 32

// ErrShortSecret: the secret is under MinSecret bytes.
var ErrShortSecret = fmt.Errorf("roomtoken: room tokens need a secret of %d characters or more", MinSecret)

// MaxLen bounds a token's length: claims of a room name and a few grants
// take some 250 characters.
const MaxLen = 2048

// NotBeforeLeeway is how far ahead of the server's clock a token's nbf may
// be: the application's server that made it may run a little ahead (RFC
// 7519 4.1.5), and a token made "valid from now" must work at once.
const NotBeforeLeeway = 30 * time.Second

// Claims are what a room token says.
type Claims struct {
	Room      string  `json:"room"`
	Expires   int64   `json:"exp"`
	NotBefore int64   `json:"nbf,omitempty"`
	Grants    []Grant `json:"grants,omitempty"`
}

// Allows tells whether the claims allow any of grants in room.
func (c Claims) Allows(room string, grants ...Grant) bool {
	if c.Room != room {
		return false
	}
	have := c.Grants
	if have == nil {
		have = DefaultGrants
	}
	for _, g := range grants {
		if slices.Contains(have, g) {
			return true
		}
	}
	return false
}

// ErrInvalid is wrapped by every error of Verify.
var ErrInvalid = errors.New("roomtoken: invalid token")

// header is the only JOSE header Sign writes.
var header = b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

var b64 = base64.RawURLEncoding

// Sign makes a token of c under secret.
func Sign(secret []byte, c Claims) (string, error) {
	if len(secret) < MinSecret {
		return "", ErrShortSecret
	}
	if err := c.check(); err != nil {
		return "", err
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("roomtoken: %w", err)
	}
	signed := header + "." + b64.EncodeToString(payload)
	return signed + "." + b64.EncodeToString(mac(secret, signed)), nil
}

// Verify checks token's signature under secret and its times at now, and
// returns its claims.
func Verify(secret []byte, token string, now time.Time) (Claims, error) {
	if len(secret) < MinSecret {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalid, ErrShortSecret)
	}
	if len(token) > MaxLen {
		return Claims{}, fmt.Errorf("%w: over %d characters", ErrInvalid, MaxLen)
	}
	h, rest, ok1 := strings.Cut(token, ".")
	p, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sig, ".") {
		return Claims{}, fmt.Errorf("%w: not three parts", ErrInvalid)
	}
	var jose struct {
		Alg  string `json:"alg"`
		Crit []any  `json:"crit"`
	}
	if raw, err := b64.DecodeString(h); err != nil || json.Unmarshal(raw, &jose) != nil {
		return Claims{}, fmt.Errorf("%w: header", ErrInvalid)
	}
	if jose.Alg != "HS256" || jose.Crit != nil {
		return Claims{}, fmt.Errorf("%w: algorithm %q, want HS256", ErrInvalid, jose.Alg)
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(secret, h+"."+p)) {
		return Claims{}, fmt.Errorf("%w: signature", ErrInvalid)
	}
	claims, err := members(p)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: claims: %v", ErrInvalid, err)
	}
	var c Claims
	if err := claim(claims, "room", &c.Room); err != nil {
		return Claims{}, err
	}
	if err := claim(claims, "grants", &c.Grants); err != nil {
		return Claims{}, err
	}
	// NumericDates (RFC 7519 2) may have a fraction: exp is taken down to
	// its second, nbf up to the next, so neither is stretched.
	var exp, nbf float64
	if err := claim(claims, "exp", &exp); err != nil {
		return Claims{}, err
	}
	if err := claim(claims, "nbf", &nbf); err != nil {
		return Claims{}, err
	}
	if math.Abs(exp) >= math.MaxInt64 || math.Abs(nbf) >= math.MaxInt64 {
		return Claims{}, fmt.Errorf("%w: exp or nbf out of range", ErrInvalid)
	}
	c.Expires, c.NotBefore = int64(math.Floor(exp)), int64(math.Ceil(nbf))
	if err := c.check(); err != nil {
		return Claims{}, err
	}
	switch sec := now.Unix(); {
	case sec >= c.Expires:
		return Claims{}, fmt.Errorf("%w: expired %s", ErrInvalid, time.Unix(c.Expires, 0).UTC().Format(time.RFC3339))
	case sec+int64(NotBeforeLeeway/time.Second) < c.NotBefore:
		return Claims{}, fmt.Errorf("%w: not before %s", ErrInvalid, time.Unix(c.NotBefore, 0).UTC().Format(time.RFC3339))
	}
	return c, nil
}

// check refuses claims without a room or an expiry, or with a grant not
// known.
func (c Claims) check() error {
	if c.Room == "" || c.Expires <= 0 {
		return fmt.Errorf("%w: room and exp are required", ErrInvalid)
	}
	if c.Grants != nil && len(c.Grants) == 0 {
		return fmt.Errorf("%w: grants: an empty list allows nothing; name some, or leave it out for join and watch", ErrInvalid)
	}
	for _, g := range c.Grants {
		if g != Join && g != Watch && g != Control {
			return fmt.Errorf("%w: grant %q: want join, watch or control", ErrInvalid, g)
		}
	}
	return nil
}

// members decodes a base64url JSON object's members by their exact names;
// one named twice is refused.
func members(part string) (map[string]json.RawMessage, error) {
	raw, err := b64.DecodeString(part)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	m := map[string]json.RawMessage{}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, err
		}
		k := t.(string) // an object's keys are strings
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%q named twice", k)
		}
		m[k] = v
	}
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("more after the object")
	}
	return m, nil
}

// claim decodes claims' member name, if there, into v.
func claim(claims map[string]json.RawMessage, name string, v any) error {
	raw, ok := claims[name]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: claims: %s: %v", ErrInvalid, name, err)
	}
	return nil
}

func mac(secret []byte, signed string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(signed))
	return m.Sum(nil)
}
