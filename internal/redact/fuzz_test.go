package redact

import (
	"strconv"
	"strings"
	"testing"
)

// fuzzCanary holds a '/', so that JSON's "\/" escape changes it.
const fuzzCanary = "Fuzz/Redact-Canary"

// fuzzShape embeds the canary in the line shapes a broken peer echoes it
// in. ok is false for a shape that only a server continuation decodes,
// asked of a client line.
func fuzzShape(shape uint8, before, after string, server bool) (line string, ok bool) {
	c := fuzzCanary
	slashed := strings.ReplaceAll(c, "/", `\/`)
	var uesc strings.Builder
	for _, r := range c {
		uesc.WriteString(`\u00` + strconv.FormatInt(int64(r), 16))
	}
	switch shape % 14 {
	case 0:
		return before + c + after, true
	case 1:
		return before + strings.ToUpper(c) + after, true
	case 2:
		return before + strings.ToLower(c) + after, true
	case 3:
		return before + b64(c) + after, true
	case 4:
		return before + b64(before+c+after), true
	case 5:
		return before + b64(strings.ToUpper(before+c+after)), true
	case 6:
		return before + `{"token":"` + slashed + `"}` + after, true
	case 7:
		return before + `{"` + uesc.String() + `":1}` + after, true
	case 8:
		return before + b64(`{"token":"`+slashed+`"}`) + after, true
	case 9:
		return before + strconv.Quote(before+c+after) + after, true
	case 10:
		return "+ " + b64(before+c+after), true
	case 11:
		return "+ " + b64(`{"`+before+`":"`+slashed+`"`+after), server
	case 12:
		return "+ " + b64(`{"`+uesc.String()+`":"`+before+`"}`+after), server
	default:
		return "+ " + strings.TrimRight(b64(strings.ToUpper(`{"status":"`+before+`","token":"`+c+`"}`)), "="), true
	}
}

// FuzzRedact embeds a registered canary in arbitrary lines, in every
// shape a broken peer echoes it, on either side, inside an AUTHENTICATE
// exchange or not: it never survives Line, Scrub, LineCut or Peek, raw,
// in another case, behind JSON escapes or in base64; a line cut inside
// the canary does not show its first 8 bytes.
func FuzzRedact(f *testing.F) {
	f.Add([]byte("T1 OK [CAPABILITY X-"), []byte("]"), uint8(1), false, false, uint16(0))
	f.Add([]byte(`{"status":"invalid","token":"`), []byte(`"}`), uint8(10), false, true, uint16(30))
	f.Add([]byte("a LOGIN alice "), []byte(""), uint8(0), true, false, uint16(17))
	f.Add([]byte("* LIST () \"/\" {12}\r\nAb"), []byte("{99999999}"), uint8(2), false, false, uint16(0))
	f.Add([]byte("+ "), []byte(""), uint8(11), false, true, uint16(0))
	f.Add([]byte("x"), []byte("yy"), uint8(12), false, false, uint16(9))
	f.Add([]byte("\t\\"), []byte(`\u`), uint8(7), true, true, uint16(40))
	f.Fuzz(func(t *testing.T, before, after []byte, shape uint8, client, sasl bool, cut uint16) {
		side := Server
		if client {
			side = Client
		}
		line, ok := fuzzShape(shape, string(before), string(after), side == Server)
		if !ok {
			return
		}
		s := NewSession(Encodings("al,i=ce", fuzzCanary)...)
		if sasl {
			s.Line(Client, []byte("T1 AUTHENTICATE OAUTHBEARER"))
		}
		outs := map[string]string{"Line": s.Line(side, []byte(line)), "Scrub": s.Scrub(line), "Peek": s.Peek(side, []byte(line))}
		for name, out := range outs {
			if leak := leakedForm(out, fuzzCanary); leak != "" {
				t.Fatalf("%s(%q) = %q shows the canary (%s)", name, line, out, leak)
			}
		}
		// cut inside the line: no part of 8 bytes or more of the canary
		// that the input did not already show without it
		at := int(cut) % (len(line) + 1)
		rest := strings.ReplaceAll(string(before)+string(after), fuzzCanary, "")
		if leakedForm(rest, fuzzCanary[:8]) != "" {
			return
		}
		for name, f := range map[string]func(Side, []byte) string{"LineCut": s.LineCut, "Peek": s.Peek} {
			if out := f(side, []byte(line[:at])); leakedForm(out, fuzzCanary[:8]) != "" {
				t.Fatalf("%s(%q) = %q shows the canary's start", name, line[:at], out)
			}
		}
	})
}
