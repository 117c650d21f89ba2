package realservers

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCyrusRetriesTakenPort gives the first start a plain port another
// listener holds: master runs on without it, so the launcher must read the
// bind failure in the log, stop that master and start again elsewhere.
func TestCyrusRetriesTakenPort(t *testing.T) {
	t.Parallel()
	c, err := NewCyrus()
	Need(t, err)
	taken, err := lowFreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(taken[0])))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	picks := 0
	c.pickPorts = func() ([]int, error) {
		picks++
		if picks == 1 {
			return taken, nil
		}
		return lowFreePorts(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inst, err := c.Start(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Stop(); err != nil {
		t.Error(err)
	}
	if !strings.HasPrefix(inst.Version, "3.6.") {
		t.Errorf("Version = %q; want 3.6.x", inst.Version)
	}
	if picks != 2 || inst.Port == taken[0] {
		t.Errorf("picks = %d, plain port %d (taken %d); want a second pick on another port", picks, inst.Port, taken[0])
	}
	// And a start that loses every time says so.
	c.pickPorts = func() ([]int, error) { return taken, nil }
	if _, err := c.Start(ctx, Config{}); !errors.Is(err, errPortTaken) {
		t.Errorf("Start on a taken port = %v; want errPortTaken", err)
	}
	// This is the package's only test that starts Cyrus.
	if pids := cyrusProcesses(c.Root); len(pids) > 0 {
		t.Errorf("Cyrus processes outlived their instances: %v", pids)
	}
}

// cyrusProcesses lists the live processes running a binary from root that
// this test process started (other packages' tests run Cyrus at the same
// time): a master that outlived its instance is still our child.
func cyrusProcesses(root string) []int {
	var pids []int
	exes, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, exe := range exes {
		target, err := os.Readlink(exe)
		if err != nil || !strings.HasPrefix(target, root+"/") {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(exe))); err == nil && !groupZombie(pid) && descendsFrom(pid, os.Getpid()) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func groupZombie(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // gone
	}
	i := strings.LastIndexByte(string(data), ')')
	return i >= 0 && strings.HasPrefix(string(data[i+1:]), " Z")
}

// descendsFrom reports whether pid's chain of parents reaches ancestor.
func descendsFrom(pid, ancestor int) bool {
	for range 64 {
		if pid == ancestor {
			return true
		}
		if pid <= 1 {
			return false
		}
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return false
		}
		i := strings.LastIndexByte(string(data), ')')
		f := strings.Fields(string(data[i+1:]))
		if i < 0 || len(f) < 2 {
			return false
		}
		if pid, err = strconv.Atoi(f[1]); err != nil {
			return false
		}
	}
	return false
}
