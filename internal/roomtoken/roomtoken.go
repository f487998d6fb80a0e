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
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
	// Control: start and stop the room's recording, set its layout, and
	// read its state.
	Control Grant = "control"
)

// DefaultGrants are a token's grants when it names none: what a person
// in a meeting does.
var DefaultGrants = []Grant{Join, Watch}

// MaxLen bounds a token's length: claims of a room name and a few grants
// take some 250 characters.
const MaxLen = 2048

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
	if len(have) == 0 {
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
	var c Claims
	raw, err := b64.DecodeString(p)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: claims", ErrInvalid)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return Claims{}, fmt.Errorf("%w: claims: %v", ErrInvalid, err)
	}
	if err := c.check(); err != nil {
		return Claims{}, err
	}
	switch sec := now.Unix(); {
	case sec >= c.Expires:
		return Claims{}, fmt.Errorf("%w: expired %s", ErrInvalid, time.Unix(c.Expires, 0).UTC().Format(time.RFC3339))
	case sec < c.NotBefore:
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
	for _, g := range c.Grants {
		if g != Join && g != Watch && g != Control {
			return fmt.Errorf("%w: grant %q: want join, watch or control", ErrInvalid, g)
		}
	}
	return nil
}

func mac(secret []byte, signed string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(signed))
	return m.Sum(nil)
}
