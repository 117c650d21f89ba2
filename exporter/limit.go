package exporter

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
)

// Errors of limiter.acquire.
var (
	errQueueFull    = errors.New("queue full")
	errQueueTimeout = errors.New("deadline passed while queued")
)

// limiter runs at most cap(slots) probes at once and lets at most
// maxQueue more wait for a slot; beyond that a probe is refused at once
// (503), so that a slow server cannot pile up unbounded goroutines and
// connections.
type limiter struct {
	slots    chan struct{}
	waiting  atomic.Int64
	maxQueue int64
}

func newLimiter(concurrent, queue int) *limiter {
	return &limiter{slots: make(chan struct{}, concurrent), maxQueue: int64(queue)}
}

// acquire waits for a slot until ctx ends; release gives it back.
func (l *limiter) acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-l.slots }
	select {
	case l.slots <- struct{}{}:
		return release, nil
	default:
	}
	if n := l.waiting.Add(1); n > l.maxQueue {
		l.waiting.Add(-1)
		return nil, fmt.Errorf("%w: %d probes running and %d waiting (--max-concurrent %d, --max-queue %d)", errQueueFull, len(l.slots), n-1, cap(l.slots), l.maxQueue)
	}
	defer l.waiting.Add(-1)
	select {
	case l.slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: no slot of --max-concurrent %d became free before the probe's deadline", errQueueTimeout, cap(l.slots))
	}
}

func (l *limiter) running() int { return len(l.slots) }
func (l *limiter) queued() int  { return int(l.waiting.Load()) }
