package faults

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Greeting replaces the server's greeting:
//
//	greeting:bye       "* BYE [UNAVAILABLE] ..." and close
//	greeting:silence   send nothing; read and ignore the client
//	greeting:preauth   "* PREAUTH": logged in as the first seeded user
//	greeting:pop3      a POP3 banner, then silence
//	greeting:smtp      an SMTP banner, then silence
//	greeting:http      an HTTP/1.1 400 response, then close
//	greeting:random    64 fixed pseudo-random bytes, then close
//	greeting:text=* OK [CAPABILITY IMAP4rev1] Dovecot ready.
//
// nth and times count connections.
type Greeting struct {
	Variant string `json:"variant"`
	// Text is the greeting line for Variant "text", without CRLF.
	Text string `json:"text,omitempty"`

	scoped
}

func init() {
	k := register(new(Greeting), parseGreeting,
		form{"greeting:VARIANT", "greeting:bye"},
		form{"greeting:text=TEXT", "greeting:text=* OK [CAPABILITY IMAP4rev1] Dovecot ready."},
	)
	k.example = "greeting:text=* OK ready" // a JSON hint with both fields
}

// greetingVariants lists the greeting fault variants.
var greetingVariants = []string{"bye", "silence", "preauth", "pop3", "smtp", "http", "random", "text"}

// Banners sent by the greeting faults, exported so tests can assert on
// exact bytes.
const (
	ByeGreeting  = "* BYE [UNAVAILABLE] Too many connections, try again later"
	POP3Greeting = "+OK POP3 server ready <1896.697170952@mail.example>\r\n"
	SMTPGreeting = "220 mail.example ESMTP Postfix\r\n"
	httpBody     = "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n" +
		"<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	HTTPGreeting = "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\n" +
		"Content-Length: 150\r\nConnection: close\r\n\r\n" + httpBody
)

// RandomGreeting returns the bytes greeting:random sends: the same 64
// bytes every time (a fixed seed).
func RandomGreeting() []byte {
	r := rand.NewChaCha8([32]byte([]byte("imapprobe greeting:random seed!!")))
	b := make([]byte, 64)
	_, _ = r.Read(b)
	return b
}

func parseGreeting(spec, rest string) (Fault, string, error) {
	variant, value, scope, hasText := cutName(rest)
	g := &Greeting{Variant: variant}
	if !hasText {
		return g, scope, nil
	}
	if asciiLower(variant) != "text" {
		return nil, "", specError(spec, fmt.Sprintf("greeting %s takes no text", variant), "only greeting:text=LINE does")
	}
	var err error
	g.Text, scope, err = readFinal(spec, value)
	return g, scope, err
}

func (g *Greeting) check() *fieldError {
	v, e := oneOf("variant", "greeting variant", g.Variant, greetingVariants)
	if e != nil {
		return e
	}
	g.Variant = v
	switch {
	case v == "text" && strings.TrimSpace(g.Text) == "":
		return &fieldError{"text", "empty greeting text", "give the greeting line, e.g. * OK ready"}
	case v != "text" && g.Text != "":
		return &fieldError{"text", fmt.Sprintf("greeting %s takes no text", v), "only the variant text does"}
	}
	return checkText("text", g.Text)
}

// Kind returns "greeting".
func (g *Greeting) Kind() string { return "greeting" }

// Spec returns the text form.
func (g *Greeting) Spec() string {
	s := "greeting:" + g.Variant
	if g.Variant == "text" {
		s += "=" + finalText(g.Text)
	}
	return s + scopeSuffix(&g.scope)
}

func (g *Greeting) firesBeforeUser() bool { return true }

// OnGreeting replaces the greeting.
func (g *Greeting) OnGreeting(ConnInfo) Action {
	switch g.Variant {
	case "bye":
		return Action{Greeting: ByeGreeting, Close: CloseFIN}
	case "silence":
		return Action{Silence: true}
	case "preauth":
		return Action{PreAuth: true}
	case "pop3":
		return Action{Raw: []byte(POP3Greeting), Silence: true}
	case "smtp":
		return Action{Raw: []byte(SMTPGreeting), Silence: true}
	case "http":
		return Action{Raw: []byte(HTTPGreeting), Close: CloseFIN}
	case "random":
		return Action{Raw: RandomGreeting(), Close: CloseFIN}
	}
	return Action{Greeting: g.Text}
}
