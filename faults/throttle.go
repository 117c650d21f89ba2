package faults

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Throttle slows what the server writes, in bytes per second, in small
// chunks, or both:
//
//	throttle:rate=1024           1024 bytes per second
//	throttle:chunk=1             one write per byte
//	throttle:rate=1024,chunk=16  both
//
// With a rate, a chunk is at most a tenth of a second's worth (at least
// one byte), so a throttled write notices a closed connection quickly.
// nth and times count connections.
type Throttle struct {
	// Rate is in bytes per second; 0 means no limit.
	Rate int64 `json:"rate,omitempty"`
	// Chunk is the largest single write; 0 means no limit.
	Chunk int `json:"chunk,omitempty"`

	scoped
}

func init() {
	register(new(Throttle), plain(parseThrottle),
		form{"throttle:rate=BYTES_PER_SECOND[,chunk=N]", "throttle:rate=1024"},
		form{"throttle:chunk=N", "throttle:chunk=1"},
	)
}

func parseThrottle(spec, args string) (Fault, error) {
	t := &Throttle{}
	for opt := range strings.SplitSeq(args, ",") {
		key, val, _ := strings.Cut(opt, "=")
		n, err := strconv.ParseInt(val, 10, 64)
		bad := err != nil || n < 1
		switch key {
		case "rate":
			t.Rate = n
		case "chunk":
			bad = bad || n > 1<<30
			t.Chunk = int(n)
		default:
			return nil, specError(spec, fmt.Sprintf("unknown throttle option %q", opt),
				"write throttle:rate=BYTES_PER_SECOND, throttle:chunk=BYTES or both, comma-separated")
		}
		if bad {
			return nil, specError(spec, fmt.Sprintf("bad %s %q", key, val), "want a whole number of 1 or more")
		}
	}
	return t, nil
}

func (t *Throttle) check() *fieldError {
	switch {
	case t.Rate < 0:
		return &fieldError{"rate", fmt.Sprintf("bad rate %d", t.Rate), "want a whole number of 1 or more, or none"}
	case t.Chunk < 0 || t.Chunk > 1<<30:
		return &fieldError{"chunk", fmt.Sprintf("bad chunk %d", t.Chunk), "want a whole number from 1 to 1073741824, or none"}
	case t.Rate == 0 && t.Chunk == 0:
		return &fieldError{"rate", "no rate and no chunk", "give rate (bytes per second), chunk (bytes per write) or both"}
	}
	return nil
}

// Kind returns "throttle".
func (t *Throttle) Kind() string { return "throttle" }

// Spec returns the text form.
func (t *Throttle) Spec() string {
	var opts []string
	if t.Rate > 0 {
		opts = append(opts, "rate="+strconv.FormatInt(t.Rate, 10))
	}
	if t.Chunk > 0 {
		opts = append(opts, "chunk="+strconv.Itoa(t.Chunk))
	}
	return "throttle:" + strings.Join(opts, ",") + scopeSuffix(&t.scope)
}

func (t *Throttle) firesBeforeUser() bool { return true }

// WrapWriter slows the connection's writes.
func (t *Throttle) WrapWriter(_ ConnInfo, w io.Writer, _ func(CloseMode)) io.Writer {
	return newSlowWriter(w, t.Rate, t.Chunk, time.Now, time.Sleep)
}

// slowWriter writes in chunks of at most chunk bytes and, with a rate,
// sleeps so that the bytes written never run ahead of the rate. It starts
// no goroutine.
type slowWriter struct {
	mu    sync.Mutex
	w     io.Writer
	rate  int64
	chunk int
	next  time.Time // when the bytes written so far are due
	now   func() time.Time
	sleep func(time.Duration)
}

func newSlowWriter(w io.Writer, rate int64, chunk int, now func() time.Time, sleep func(time.Duration)) *slowWriter {
	if rate > 0 {
		limit := int(max(1, min(rate/10, 1<<30)))
		if chunk == 0 || chunk > limit {
			chunk = limit
		}
	}
	return &slowWriter{w: w, rate: rate, chunk: chunk, now: now, sleep: sleep}
}

func (s *slowWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	written := 0
	for len(p) > 0 {
		n := len(p)
		if s.chunk > 0 {
			n = min(n, s.chunk)
		}
		k, err := s.w.Write(p[:n])
		written += k
		if err != nil {
			return written, err
		}
		p = p[k:]
		if s.rate > 0 {
			now := s.now()
			if s.next.Before(now) {
				s.next = now
			}
			s.next = s.next.Add(time.Duration(int64(k) * int64(time.Second) / s.rate))
			if d := s.next.Sub(now); d > 0 {
				s.sleep(d)
			}
		}
	}
	return written, nil
}
