package integration

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/integration/realservers"
)

// docker is the engine and container launcher, set up on first use and torn
// down by TestMain.
var docker struct {
	once     sync.Once
	engine   *realservers.Engine
	launcher *realservers.Container
	err      error
}

func containerLauncher() (realservers.Launcher, error) {
	docker.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		docker.engine, docker.err = realservers.StartEngine(ctx)
		if docker.err == nil {
			docker.launcher, docker.err = realservers.NewContainer(ctx, docker.engine)
		}
	})
	if docker.err != nil {
		return nil, docker.err
	}
	return docker.launcher, nil
}

func processLauncher() (realservers.Launcher, error) { return realservers.NewProcess() }

func closeDocker() error {
	var err error
	if docker.launcher != nil {
		err = docker.launcher.Close()
	}
	return errors.Join(err, docker.engine.Close())
}

// eachLauncher runs f as a subtest per launcher. A launcher that cannot run
// here skips its subtest, or fails it under CI=true.
func eachLauncher(t *testing.T, f func(t *testing.T, l realservers.Launcher)) {
	for _, c := range []struct {
		name string
		get  func() (realservers.Launcher, error)
	}{{"process", processLauncher}, {"container", containerLauncher}} {
		t.Run(c.name, func(t *testing.T) {
			l, err := c.get()
			realservers.Need(t, err)
			f(t, l)
		})
	}
}

// startDovecot starts an instance that stops when the test ends; a failed
// test gets Dovecot's log.
func startDovecot(t *testing.T, l realservers.Launcher, cfg realservers.Config) *realservers.Instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inst, err := l.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("%s: start Dovecot (%v): %v", l.Name(), cfg.Cert, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Dovecot log (%s, cert %v):\n%s", l.Name(), cfg.Cert, inst.Log())
		}
		// Kill first: a graceful stop takes Dovecot about 2 s, and the test
		// is over. Stop then cleans up (and stops an already stopped one).
		if err := errors.Join(inst.Kill(), inst.Stop()); err != nil {
			t.Errorf("stop Dovecot: %v", err)
		}
	})
	return inst
}
