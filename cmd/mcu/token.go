package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"mcu/internal/roomtoken"
	"mcu/recorder"
)

const tokenUsage = `usage: mcu token -room R [-ttl 1h] [-grants join,watch] [-url URL]

Prints a room token: what a server started with -auth-token SECRET lets
its holder do in room R, until the token expires, without the secret
itself, for a browser or a WHIP/WHEP client (Authorization: Bearer TOKEN;
the demo page asks for it). The grants: join (join and publish: WHIP),
watch (view: WHEP), control (start and stop the recording, set the
layout, mute or remove someone in the room, lock it); each reads the
room's state. A token lists no rooms. With -url,
the server's address, it prints an invitation instead: the demo page's
link, URL/#R&token=TOKEN, which joins room R with the token.

The secret, of 32 characters or more, is read from MCU_AUTH_TOKEN (or
-auth-token). A room token is a JSON Web Token signed with HS256 under
the secret, with the claims room, exp and grants: an application's
server can make its own with any JWT library (README: Room tokens).

flags:
`

func tokenCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, tokenUsage); fs.PrintDefaults() }
	room := fs.String("room", "", "the `room` the token is for")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	grants := fs.String("grants", "join,watch", "what it allows: join, watch, control, comma-separated")
	link := fs.String("url", "", "print the demo page's invitation link at this server `URL` (as https://mcu.example.com) instead of the bare token")
	secret := fs.String("auth-token", "", "the server's secret; prefer the variable: other users see a command line [MCU_AUTH_TOKEN]")
	if done, err := parseFlags(fs, args, false); done {
		return err
	}
	if *secret == "" {
		*secret = os.Getenv("MCU_AUTH_TOKEN")
	}
	if err := checkToken(*secret); err != nil || len(*secret) < roomtoken.MinSecret {
		return usageError{fmt.Errorf("the server's secret (MCU_AUTH_TOKEN or -auth-token): room tokens want %d or more printable ASCII characters (make one with: openssl rand -base64 32)", roomtoken.MinSecret)}
	}
	if !recorder.SafeName(*room) {
		return usageError{fmt.Errorf("-room %q: want a room name the server takes", *room)}
	}
	if *ttl < time.Second {
		// exp counts whole seconds: a shorter token could be expired when printed.
		return usageError{fmt.Errorf("-ttl %v: want 1s or more", *ttl)}
	}
	var page *url.URL
	if *link != "" {
		u, err := url.Parse(*link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(*link, "#") {
			return usageError{fmt.Errorf("-url %q: want the server's address, as https://mcu.example.com, without a fragment", *link)}
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
			u.RawPath = ""
		}
		page = u
	}
	c := roomtoken.Claims{Room: *room, Expires: time.Now().Add(*ttl).Unix()}
	for g := range strings.SplitSeq(*grants, ",") {
		c.Grants = append(c.Grants, roomtoken.Grant(strings.TrimSpace(g)))
	}
	tok, err := roomtoken.Sign([]byte(*secret), c)
	if err != nil {
		return usageError{fmt.Errorf("-grants %q: want join, watch or control, comma-separated", *grants)}
	}
	if page != nil {
		tok = page.String() + "#" + *room + "&token=" + tok
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
