package fakeserver

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// speller is a fixed keywordSpeller: the spellings in rank order.
type speller []string

func (s speller) spell(lower string) (string, int, bool) {
	for i, k := range s {
		if strings.ToLower(k) == lower {
			return k, i, true
		}
	}
	return "", 0, false
}

// TestRewriteFlags: the backend's lower-cased flags come out as Dovecot
// spells and orders them, in FETCH's FLAGS item, "* FLAGS" and
// PERMANENTFLAGS only; nothing in a quoted string, after a literal's
// announcement or in another response changes, byte for byte.
func TestRewriteFlags(t *testing.T) {
	t.Parallel()
	kw := speller{"$Junk", "NonJunk"}
	tests := []struct{ name, in, want string }{
		{"fetch system flags", `* 1 FETCH (UID 1 FLAGS (\seen \flagged))` + "\r\n",
			`* 1 FETCH (UID 1 FLAGS (\Flagged \Seen))` + "\r\n"},
		{"fetch all system flags in Dovecot's order",
			`* 9 FETCH (FLAGS (\recent \draft \seen \deleted \flagged \answered) UID 9)` + "\r\n",
			`* 9 FETCH (FLAGS (\Answered \Flagged \Deleted \Seen \Draft \Recent) UID 9)` + "\r\n"},
		{"fetch keywords by rank, unknown ones after", `* 3 FETCH (UID 3 FLAGS (zeta nonjunk \draft alpha $junk))` + "\r\n",
			`* 3 FETCH (UID 3 FLAGS (\Draft $Junk NonJunk alpha zeta))` + "\r\n"},
		{"fetch empty flags", "* 1 FETCH (UID 1 FLAGS ())\r\n", "* 1 FETCH (UID 1 FLAGS ())\r\n"},
		{"fetch unknown system flag kept", `* 1 FETCH (FLAGS (\xfoo \seen))` + "\r\n", `* 1 FETCH (FLAGS (\Seen \xfoo))` + "\r\n"},
		{"fetch without flags", `* 1 FETCH (UID 1 RFC822.SIZE 12)` + "\r\n", `* 1 FETCH (UID 1 RFC822.SIZE 12)` + "\r\n"},
		{"flags after a quoted envelope", `* 2 FETCH (UID 2 ENVELOPE ("d" "FLAGS (\seen)" NIL NIL NIL NIL NIL NIL NIL NIL) FLAGS (\seen))` + "\r\n",
			`* 2 FETCH (UID 2 ENVELOPE ("d" "FLAGS (\seen)" NIL NIL NIL NIL NIL NIL NIL NIL) FLAGS (\Seen))` + "\r\n"},
		{"escaped quote in a string", `* 2 FETCH (ENVELOPE ("a\" FLAGS (\seen) \\" NIL) FLAGS (\seen))` + "\r\n",
			`* 2 FETCH (ENVELOPE ("a\" FLAGS (\seen) \\" NIL) FLAGS (\Seen))` + "\r\n"},
		{"flags-like text inside a nested list", `* 2 FETCH (BODYSTRUCTURE ("text" "plain" ("name" "x") NIL NIL "7bit" 3 1) FLAGS (\seen))` + "\r\n",
			`* 2 FETCH (BODYSTRUCTURE ("text" "plain" ("name" "x") NIL NIL "7bit" 3 1) FLAGS (\Seen))` + "\r\n"},
		{"nested FLAGS atom is not the item", `* 2 FETCH (X (FLAGS (\seen)))` + "\r\n", `* 2 FETCH (X (FLAGS (\seen)))` + "\r\n"},
		{"suffix of another item", `* 2 FETCH (X-FLAGS (\seen) FLAGS (\seen))` + "\r\n", `* 2 FETCH (X-FLAGS (\seen) FLAGS (\Seen))` + "\r\n"},
		{"flags before a literal", `* 1 FETCH (UID 1 FLAGS (\seen) BODY[] {12}` + "\r\n",
			`* 1 FETCH (UID 1 FLAGS (\Seen) BODY[] {12}` + "\r\n"},
		{"literal before anything called flags", `* 1 FETCH (UID 1 BODY[HEADER] {22}` + "\r\n",
			`* 1 FETCH (UID 1 BODY[HEADER] {22}` + "\r\n"},
		{"literal in the envelope stops the walk", `* 1 FETCH (UID 1 ENVELOPE ("d" {18}` + "\r\n",
			`* 1 FETCH (UID 1 ENVELOPE ("d" {18}` + "\r\n"},
		{"unterminated string", `* 1 FETCH (ENVELOPE ("FLAGS (\seen)` + "\r\n", `* 1 FETCH (ENVELOPE ("FLAGS (\seen)` + "\r\n"},
		{"quoted flag list is not flags", `* 1 FETCH (FLAGS ("\seen"))` + "\r\n", `* 1 FETCH (FLAGS ("\seen"))` + "\r\n"},
		{"untagged FLAGS", `* FLAGS (\answered \flagged \deleted \seen \draft $junk nonjunk)` + "\r\n",
			`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Junk NonJunk)` + "\r\n"},
		{"PERMANENTFLAGS wildcard last", `* OK [PERMANENTFLAGS (\* \seen nonjunk \answered)] Permanent flags` + "\r\n",
			`* OK [PERMANENTFLAGS (\Answered \Seen NonJunk \*)] Permanent flags` + "\r\n"},
		{"PERMANENTFLAGS text untouched", `* OK [PERMANENTFLAGS ()] FLAGS (\seen)` + "\r\n", `* OK [PERMANENTFLAGS ()] FLAGS (\seen)` + "\r\n"},
		{"tagged line untouched", `a OK [PERMANENTFLAGS (\seen)] x` + "\r\n", `a OK [PERMANENTFLAGS (\seen)] x` + "\r\n"},
		{"search untouched", "* SEARCH 1 2\r\n", "* SEARCH 1 2\r\n"},
		{"list untouched", `* LIST (\hasnochildren) "/" "FLAGS (\seen)"` + "\r\n", `* LIST (\hasnochildren) "/" "FLAGS (\seen)"` + "\r\n"},
		{"status untouched", `* STATUS "FLAGS (\seen)" (MESSAGES 1)` + "\r\n", `* STATUS "FLAGS (\seen)" (MESSAGES 1)` + "\r\n"},
		{"no number before FETCH", `* X FETCH (FLAGS (\seen))` + "\r\n", `* X FETCH (FLAGS (\seen))` + "\r\n"},
		{"LF only", `* 1 FETCH (FLAGS (\seen))` + "\n", `* 1 FETCH (FLAGS (\Seen))` + "\n"},
		{"unclosed list", `* FLAGS (\seen` + "\r\n", `* FLAGS (\seen` + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := string(rewriteFlags([]byte(tt.in), kw, nil)); got != tt.want {
				t.Errorf("rewriteFlags(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestRewriteFlagsWithoutKeywords: with no keywords known, system flags
// are still canonical and keywords keep the backend's spelling.
func TestRewriteFlagsWithoutKeywords(t *testing.T) {
	t.Parallel()
	got := string(rewriteFlags([]byte(`* 1 FETCH (FLAGS ($junk \seen))`+"\r\n"), nil, nil))
	if want := `* 1 FETCH (FLAGS (\Seen $junk))` + "\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// FuzzRewriteFlags: whatever the line, the rewrite keeps its length,
// changes no byte outside a flag list's parentheses, nor the bytes of
// any flag but for case and order, and is idempotent.
func FuzzRewriteFlags(f *testing.F) {
	for _, s := range []string{
		`* 1 FETCH (UID 1 FLAGS (\seen $junk) BODY[] {3}` + "\r\n",
		`* 2 FETCH (ENVELOPE ("a\" FLAGS (\seen)" NIL) FLAGS (\deleted))` + "\r\n",
		`* FLAGS (\answered \flagged)` + "\r\n",
		`* OK [PERMANENTFLAGS (\* \seen)] Permanent flags` + "\r\n",
		`* 3 FETCH (FLAGS () X (FLAGS (\seen)))`,
	} {
		f.Add([]byte(s))
	}
	kw := speller{"$Junk", "NonJunk"}
	f.Fuzz(func(t *testing.T, line []byte) {
		in := bytes.Clone(line)
		out := rewriteFlags(line, kw, nil)
		if !bytes.Equal(line, in) {
			t.Fatalf("rewriteFlags changed its input: %q -> %q", in, line)
		}
		if len(out) != len(in) {
			t.Fatalf("length %d -> %d: %q -> %q", len(in), len(out), in, out)
		}
		if !bytes.EqualFold(sortedFields(in), sortedFields(out)) {
			t.Fatalf("not the same bytes up to case and order: %q -> %q", in, out)
		}
		if again := rewriteFlags(out, kw, nil); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
		for i := range in {
			if in[i] != out[i] && (bytes.IndexByte(in[:i], '(') < 0 || in[i] == '(' || in[i] == ')' || in[i] == '"' || in[i] == '{') {
				t.Fatalf("byte %d (%q) changed outside a list: %q -> %q", i, in[i], in, out)
			}
		}
	})
}

// sortedFields is line's bytes with the words of each parenthesised run
// sorted, so that reordered flags compare equal.
func sortedFields(line []byte) []byte {
	var out []byte
	for i := 0; i < len(line); {
		j := bytes.IndexByte(line[i:], '(')
		if j < 0 {
			return append(out, line[i:]...)
		}
		out = append(out, line[i:i+j+1]...)
		i += j + 1
		k := bytes.IndexAny(line[i:], "()")
		if k < 0 {
			return append(out, line[i:]...)
		}
		words := bytes.Split(bytes.ToLower(line[i:i+k]), []byte(" "))
		slices.SortFunc(words, bytes.Compare)
		out = append(out, bytes.Join(words, []byte(" "))...)
		i += k
	}
	return out
}
