package wiretap

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// TestOverLimitLineIsRecorded: a line that goes over MaxLine is kept in
// the transcript as its start, marked incomplete, with the count of its
// other bytes, so that a reader (or a replay) knows how long it got.
func TestOverLimitLineIsRecorded(t *testing.T) {
	t.Parallel()
	lim := DefaultLimits()
	lim.MaxLine = 100
	rec, conn, srv := pair(t, lim)
	go func() { _, _ = io.WriteString(srv, "* OK "+strings.Repeat("a", 150)) }()
	buf := make([]byte, 4096)
	var err error
	for err == nil {
		_, err = conn.Read(buf)
	}
	var lerr *LimitError
	if !errors.As(err, &lerr) {
		t.Fatalf("err = %v, want a LimitError", err)
	}
	lines := rec.Lines(0)
	want := "* OK " + strings.Repeat("a", 75) + "…(+75 bytes) …(incomplete)"
	if len(lines) != 1 || lines[0].Dir != Server || !lines[0].Incomplete || lines[0].Text != want {
		t.Fatalf("transcript %q, want one incomplete S line %q", texts(lines), want)
	}
}
