package closedport_test

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/internal/closedport"
)

// TestAddrStaysRefused: the address is one address for the
// process, a connect to it is refused, and no listener can take it, so a
// scenario beside a refused-port one cannot be reached by mistake.
func TestAddrStaysRefused(t *testing.T) {
	t.Parallel()
	a, err := closedport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := closedport.Addr(); b != a {
		t.Errorf("Addr gave %s, then %s", a, b)
	}
	if ln, err := net.Listen("tcp", a); err == nil {
		ln.Close()
		t.Fatalf("a listener took the closed port %s", a)
	}
	for i := 0; i < 3; i++ {
		c, err := net.DialTimeout("tcp", a, 2*time.Second)
		if err == nil {
			c.Close()
			t.Fatalf("dial %s connected", a)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial %s: %v, want connection refused", a, err)
		}
	}
}
