package fakeserver_test

import (
	"slices"
	"testing"
	"time"
)

// TestDelayAccuracy times NOOP round trips with and without
// delay:NOOP=50ms: the median extra latency the fault adds must be the
// delay, and at most delayAccuracy more. Only the median is held to
// that: on a shared 2-core machine single samples may be far off. What
// a loaded machine adds to any 50 ms timer (a bare time.Sleep, timed
// between the samples) is the machine's, not the fake's, and is allowed
// on top. It does not run in parallel, so that the other tests load it
// less.
func TestDelayAccuracy(t *testing.T) {
	const (
		delay         = 50 * time.Millisecond
		delayAccuracy = 5 * time.Millisecond
		samples       = 21
	)
	plain := loggedInRaw(t, plainServer(t))
	delayed := loggedInRaw(t, plainServer(t, "delay:NOOP=50ms"))
	roundTrip := func(r *rawConn) time.Duration {
		start := time.Now()
		r.send("n NOOP\r\n")
		r.until("n OK")
		return time.Since(start)
	}
	roundTrip(plain) // warm up both connections
	roundTrip(delayed)
	var base, slow, oversleep []time.Duration
	for range samples { // interleaved, so all see the same load
		base = append(base, roundTrip(plain))
		slow = append(slow, roundTrip(delayed))
		start := time.Now()
		time.Sleep(delay)
		oversleep = append(oversleep, time.Since(start)-delay)
	}
	median := func(d []time.Duration) time.Duration {
		d = slices.Clone(d)
		slices.Sort(d)
		return d[len(d)/2]
	}
	extra := make([]time.Duration, len(slow))
	b := median(base)
	for i, s := range slow {
		extra[i] = s - b
	}
	p50, machine := median(extra), median(oversleep)
	t.Logf("NOOP round trip p50 %v without the fault; extra p50 %v for a %v delay (samples %v); a bare %v sleep overshoots by %v at p50",
		b, p50, delay, extra, delay, machine)
	if p50 < delay || p50 > delay+delayAccuracy+machine {
		t.Fatalf("median extra latency %v, want within [%v, %v] (%v of it the machine's timer latency)", p50, delay, delay+delayAccuracy+machine, machine)
	}
}
