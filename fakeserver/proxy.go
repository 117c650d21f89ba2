package fakeserver

import (
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/imapprobe/imapprobe/faults"
)

// proxy serves the backend end of p from a new upstream connection: the
// upstream's greeting, then every byte each way, until either side ends.
// Client bytes reach the pipe only through the front, which frames them
// and applies the faults; upstream bytes go to the client only through
// the front's response path. Neither direction buffers more than a read.
func (b *backend) proxy(p *memPipe) {
	end := backendEnd{p}
	defer end.Close()
	up, greeting, err := b.upstream.dial()
	if err != nil {
		b.logf("upstream: %v", err)
		_, _ = end.Write([]byte("* BYE [UNAVAILABLE] upstream server unreachable\r\n"))
		return
	}
	defer up.Close()
	if _, err := end.Write(greeting); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(up, end) // ends when the front shuts the pipe
		up.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := up.Read(buf)
		if n > 0 {
			if _, werr := end.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	end.Close()
	<-done
}

// proxyCaps fits an upstream capability list to the client's side of the
// proxy. The proxy reaches the upstream over TLS, so its lists never
// offer STARTTLS nor refuse plaintext login; the client's port may,
// exactly as the fake's own backend would (backendKind).
func proxyCaps(kind backendKind, caps []string) []string {
	preLogin := slices.ContainsFunc(caps, func(c string) bool {
		return c == "LOGINDISABLED" || strings.HasPrefix(c, "AUTH=")
	})
	if !preLogin {
		return caps
	}
	out := slices.DeleteFunc(slices.Clone(caps), func(c string) bool {
		return c == "STARTTLS" || c == "LOGINDISABLED" || (!kind.allowAuth && strings.HasPrefix(c, "AUTH="))
	})
	if kind.startTLS {
		out = append(out, "STARTTLS")
	}
	if !kind.allowAuth {
		out = append(out, "LOGINDISABLED")
	}
	return out
}

// urlUser is the user URL names: the first seeded one, or none for a
// proxy, whose users are the upstream's (a client logs in as one of them).
func (s *Server) urlUser() *url.Userinfo {
	if s.backend.upstream != nil {
		return nil
	}
	return url.User(s.users.first().name)
}

// personaSpec is the connections' persona: none for a proxy, whose
// upstream speaks for itself.
func (s *Server) personaSpec() *personaSpec {
	if s.backend.upstream != nil {
		return &personaSpec{}
	}
	return s.cfg.persona.spec()
}

// proxyRefusal refuses, for a proxy, what the fake's own backend refuses
// on this connection and the upstream, reached over TLS, would accept:
// login before TLS on a port that forbids it (the list said
// LOGINDISABLED).
func (c *conn) proxyRefusal(cmd capsCommand) (reply, why string) {
	if c.srv.backend.upstream == nil || c.backendKind().allowAuth || cmd.loggedIn {
		return "", ""
	}
	switch cmd.name {
	case "LOGIN", "AUTHENTICATE":
		return faults.LoginDisabledReply, "login before TLS"
	}
	return "", ""
}
