package redact

import (
	"strconv"
	"strings"
	"testing"
)

// learnShape puts secret where the protocol carries one: the client lines
// that send it, for each way LOGIN and the SASL mechanisms do.
func learnShape(shape uint8, user, secret string) []string {
	switch shape % 7 {
	case 0:
		return []string{"a LOGIN " + user + " " + secret}
	case 1:
		return []string{`a LOGIN "` + user + `" "` + secret + `"`}
	case 2:
		return []string{"a LOGIN " + user + " {" + strconv.Itoa(len(secret)) + "}\r\n" + secret}
	case 3:
		return []string{"a AUTHENTICATE PLAIN " + b64("\x00"+user+"\x00"+secret)}
	case 4:
		return []string{"a AUTHENTICATE XOAUTH2", b64("user=" + user + "\x01auth=Bearer " + secret + "\x01\x01")}
	case 5:
		return []string{"a AUTHENTICATE OAUTHBEARER " + b64("n,a="+user+",\x01auth=Bearer "+secret+"\x01\x01")}
	default:
		return []string{"a AUTHENTICATE LOGIN " + b64(user), b64(secret)}
	}
}

// FuzzLearn feeds a learning session arbitrary client lines (it must not
// fail on any), then a secret in one of the shapes that carry it: an
// echo of the secret, with arbitrary text around it, never survives.
func FuzzLearn(f *testing.F) {
	f.Add([]byte("a LOGIN {3}\r\nab"), []byte("alice"), []byte("hunter2hunter2"), uint8(0), []byte("NO bad "))
	f.Add([]byte("a AUTHENTICATE PLAIN AGFAYg"), []byte("bob"), []byte("Zm9vYmFyYmF6"), uint8(3), []byte("* OK "))
	f.Add([]byte("a AUTHENTICATE LOGIN\r\n="), []byte("u"), []byte("tok.en-42_x"), uint8(6), []byte("+ "))
	f.Fuzz(func(t *testing.T, noise, user, secret []byte, shape uint8, around []byte) {
		s := NewSession().FreshLearning()
		for _, l := range strings.Split(string(noise), "\n") {
			s.Line(Client, []byte(l))
			s.Peek(Client, []byte(l))
		}
		// an exchange in progress would take the shape's first line for
		// a SASL response: end it as the server would
		s.Line(Server, []byte("a NO done"))
		sec := alnum(secret)
		if len(sec) < 6 {
			return
		}
		for _, l := range learnShape(shape, alnum(user)+"u", sec) {
			s.Line(Client, []byte(l))
		}
		echo := alnum(around) + " " + sec + " " + strings.ToUpper(sec) + " " + b64(sec)
		for name, out := range map[string]string{"Line": s.Line(Server, []byte(echo)), "Scrub": s.Scrub(echo)} {
			if leak := leakedForm(out, sec); leak != "" {
				t.Fatalf("after %q, %s(%q) = %q shows the secret (%s)", learnShape(shape, alnum(user)+"u", sec), name, echo, out, leak)
			}
		}
	})
}

// alnum keeps the ASCII letters and digits of b: text that is one atom
// and one token, whatever the shape around it.
func alnum(b []byte) string {
	var out []byte
	for _, c := range b {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			out = append(out, c)
		}
	}
	return string(out)
}
