package faults

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// chunkRecorder records the size of every write it gets.
type chunkRecorder struct {
	bytes.Buffer
	sizes []int
	fail  int // fail the write after this many, if > 0
}

func (r *chunkRecorder) Write(p []byte) (int, error) {
	if r.fail > 0 && len(r.sizes) == r.fail {
		return 0, io.ErrClosedPipe
	}
	r.sizes = append(r.sizes, len(p))
	return r.Buffer.Write(p)
}

// fakeClock is a clock whose sleeps only advance it.
type fakeClock struct {
	t      time.Time
	slept  time.Duration
	sleeps int
}

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(d time.Duration) {
	c.t = c.t.Add(d)
	c.slept += d
	c.sleeps++
}

func TestThrottleChunksAndPace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		rate       int64
		chunk      int
		write      int
		wantSizes  string
		wantSlept  time.Duration
		wantSleeps int
	}{
		{"chunk only", 0, 1, 5, "1 1 1 1 1", 0, 0},
		{"chunk larger than write", 0, 100, 7, "7", 0, 0},
		{"rate picks a tenth-second chunk", 1000, 0, 1050, "100 100 100 100 100 100 100 100 100 100 50", 1050 * time.Millisecond, 11},
		{"rate and small chunk", 1024, 256, 1024, "102 102 102 102 102 102 102 102 102 102 4", time.Second, 11},
		{"rate and tiny chunk", 1024, 16, 64, "16 16 16 16", 62500 * time.Microsecond, 4},
		{"low rate writes single bytes", 4, 0, 3, "1 1 1", 750 * time.Millisecond, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &chunkRecorder{}
			clock := &fakeClock{t: time.Unix(1e9, 0)}
			w := newSlowWriter(rec, tt.rate, tt.chunk, clock.now, clock.sleep)
			payload := bytes.Repeat([]byte("x"), tt.write)
			n, err := w.Write(payload)
			if n != tt.write || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
			if !bytes.Equal(rec.Bytes(), payload) {
				t.Errorf("bytes changed")
			}
			if got := strings.Trim(fmt.Sprint(rec.sizes), "[]"); got != tt.wantSizes {
				t.Errorf("chunk sizes %s, want %s", got, tt.wantSizes)
			}
			if clock.slept != tt.wantSlept || clock.sleeps != tt.wantSleeps {
				t.Errorf("slept %v in %d sleeps, want %v in %d", clock.slept, clock.sleeps, tt.wantSlept, tt.wantSleeps)
			}
		})
	}
}

// TestThrottleNoBurstAfterIdle: idle time earns no credit to burst with.
func TestThrottleNoBurstAfterIdle(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	w := newSlowWriter(io.Discard, 1000, 0, clock.now, clock.sleep)
	for i := range 3 {
		clock.t = clock.t.Add(10 * time.Second)
		before := clock.slept
		if _, err := w.Write(make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		if d := clock.slept - before; d != 100*time.Millisecond {
			t.Errorf("write %d after idle slept %v, want 100ms", i+1, d)
		}
	}
}

func TestThrottleStopsOnError(t *testing.T) {
	t.Parallel()
	rec := &chunkRecorder{fail: 2}
	clock := &fakeClock{}
	w := newSlowWriter(rec, 0, 3, clock.now, clock.sleep)
	n, err := w.Write([]byte("abcdefghij"))
	if n != 6 || !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Write = %d, %v; want 6, %v", n, err, io.ErrClosedPipe)
	}
}

// TestThrottleRealClock checks the real pacing with a loose lower bound
// only: 1000 bytes at 4000 B/s cannot take less than 250 ms.
func TestThrottleRealClock(t *testing.T) {
	t.Parallel()
	rec := &chunkRecorder{}
	w := mustSet(t, "throttle:rate=4000").WrapWriter(ConnInfo{}, rec, func(CloseMode) {})
	start := time.Now()
	if _, err := w.Write(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("1000 bytes at 4000 B/s took %v", d)
	}
	if len(rec.sizes) != 3 || rec.sizes[0] != 400 {
		t.Errorf("chunks %v, want 400 400 200", rec.sizes)
	}
}

// TestWritersDoNotInterleave: concurrent writes stay whole.
func TestWritersDoNotInterleave(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"throttle:chunk=1", "drop:bytes=100000"} {
		t.Run(spec, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var out bytes.Buffer
			locked := writerFunc(func(p []byte) (int, error) {
				mu.Lock()
				defer mu.Unlock()
				return out.Write(p)
			})
			w := mustSet(t, spec).WrapWriter(ConnInfo{}, locked, func(CloseMode) {})
			var wg sync.WaitGroup
			for _, c := range "abcd" {
				wg.Go(func() {
					for range 10 {
						_, _ = w.Write(bytes.Repeat([]byte{byte(c)}, 50))
					}
				})
			}
			wg.Wait()
			s := out.String()
			if len(s) != 2000 {
				t.Fatalf("wrote %d bytes", len(s))
			}
			for i := 0; i < len(s); i += 50 {
				if strings.Count(s[i:i+50], s[i:i+1]) != 50 {
					t.Fatalf("writes interleaved at %d: %q", i, s[i:i+50])
				}
			}
		})
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestDropAfterBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec      string
		writes    []string
		wantOut   string
		wantN     []int
		wantErrs  []bool
		wantClose []CloseMode
	}{
		{"drop:bytes=10", []string{"12345", "67890abc", "more"}, "1234567890",
			[]int{5, 5, 0}, []bool{false, true, true}, []CloseMode{CloseFIN}},
		{"drop:bytes=10,rst", []string{"1234567890", "x"}, "1234567890",
			[]int{10, 0}, []bool{false, true}, []CloseMode{CloseRST}},
		{"drop:bytes=3", []string{"a", "b", "cdef"}, "abc",
			[]int{1, 1, 1}, []bool{false, false, true}, []CloseMode{CloseFIN}},
		{"drop:bytes=100", []string{"short"}, "short", []int{5}, []bool{false}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			var closes []CloseMode
			w := mustSet(t, tt.spec).WrapWriter(ConnInfo{}, &out, func(m CloseMode) { closes = append(closes, m) })
			for i, s := range tt.writes {
				n, err := w.Write([]byte(s))
				if n != tt.wantN[i] || (err != nil) != tt.wantErrs[i] {
					t.Errorf("write %d: %d, %v; want %d, error %v", i+1, n, err, tt.wantN[i], tt.wantErrs[i])
				}
				if err != nil && !errors.Is(err, ErrDropped) {
					t.Errorf("write %d: error %v, want ErrDropped", i+1, err)
				}
			}
			if out.String() != tt.wantOut {
				t.Errorf("wrote %q, want %q", out.String(), tt.wantOut)
			}
			if len(closes) != len(tt.wantClose) || (len(closes) > 0 && closes[0] != tt.wantClose[0]) {
				t.Errorf("closer calls %v, want %v", closes, tt.wantClose)
			}
		})
	}
}

// TestWriterScope: writer faults count connections (WrapWriter calls).
func TestWriterScope(t *testing.T) {
	t.Parallel()
	set := mustSet(t, "drop:bytes=5;nth=2", "throttle:chunk=1;times=1")
	var base bytes.Buffer
	for conn, want := range []string{"throttle", "drop", "plain"} {
		w := set.WrapWriter(ConnInfo{ID: uint64(conn)}, &base, func(CloseMode) {})
		var got string
		switch w.(type) {
		case *slowWriter:
			got = "throttle"
		case *cutWriter:
			got = "drop"
		case *bytes.Buffer:
			got = "plain"
		}
		if got != want {
			t.Errorf("connection %d: writer %T, want %s", conn+1, w, want)
		}
	}
}

// TestScopeConcurrent: times holds across many connections at once.
func TestScopeConcurrent(t *testing.T) {
	t.Parallel()
	set := mustSet(t, "reply:NOOP=NO busy;times=10")
	var mu sync.Mutex
	fired := 0
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			for range 4 {
				if set.OnCommand(ConnInfo{ID: uint64(i)}, Command{Name: "NOOP"}).Reply != "" {
					mu.Lock()
					fired++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if fired != 10 {
		t.Errorf("fired %d times, want 10", fired)
	}
}
