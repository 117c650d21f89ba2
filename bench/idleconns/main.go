// Command idleconns measures what idle, logged-in IMAP connections cost a
// server: it starts the server in a child process (so that the clients'
// memory is not counted), opens -n connections, logs each in, waits, and
// prints the child's resident set size in total and per connection, with
// its goroutines per connection.
//
// -server fake is the fakeserver package (what fakeimapd runs); -server bare
// is go-imap's imapserver over imapmemserver alone, the floor the fake is
// built on. -mode is tls (implicit TLS) or plaintext.
//
// It fails (exit status 1, no figure) if fewer than -n connections logged
// in. Run it through bench/idle-conns.sh, which raises the file limit.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// hello is what the child prints once it listens.
type hello struct {
	Addr  string `json:"addr"`
	User  string `json:"user"`
	Pass  string `json:"pass"`
	CAPEM []byte `json:"ca_pem,omitempty"`
}

// stats is the child's answer to a "stats" line on its stdin.
type stats struct {
	Goroutines int    `json:"goroutines"`
	HeapAlloc  uint64 `json:"heap_alloc"`
	StackInuse uint64 `json:"stack_inuse"`
	Sys        uint64 `json:"sys"`
}

func main() {
	n := flag.Int("n", 10000, "connections to open and log in")
	mode := flag.String("mode", "tls", "tls (implicit TLS) or plaintext")
	server := flag.String("server", "fake", "fake (the fakeserver package) or bare (imapserver over imapmemserver)")
	settle := flag.Duration("settle", 10*time.Second, "idle time after the last login before RSS is read")
	parallel := flag.Int("parallel", 32, "connections opened at once")
	memprofile := flag.String("memprofile", "", "write the server's heap profile here once the figures are read")
	child := flag.Bool("child", false, "internal: run the server")
	flag.Parse()
	if *mode != "tls" && *mode != "plaintext" {
		fatalf("-mode %q: want tls or plaintext", *mode)
	}
	if *server != "fake" && *server != "bare" {
		fatalf("-server %q: want fake or bare", *server)
	}
	if *child {
		runChild(*server, *mode == "tls")
		return
	}
	if err := run(*n, *mode, *server, *settle, *parallel, *memprofile); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "idleconns: FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// serverProc is the child process and a line protocol to it.
type serverProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startChild(mode, server string) (*serverProc, hello, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, hello{}, err
	}
	cmd := exec.Command(self, "-child", "-mode", mode, "-server", server)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, hello{}, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, hello{}, err
	}
	if err := cmd.Start(); err != nil {
		return nil, hello{}, err
	}
	p := &serverProc{cmd: cmd, in: in, out: bufio.NewReader(out)}
	var h hello
	if err := p.readJSON(&h, 30*time.Second); err != nil {
		p.stop()
		return nil, hello{}, fmt.Errorf("child hello: %w", err)
	}
	return p, h, nil
}

func (p *serverProc) readJSON(v any, timeout time.Duration) error {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		l, err := p.out.ReadString('\n')
		ch <- result{l, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return r.err
		}
		return json.Unmarshal([]byte(r.line), v)
	case <-time.After(timeout):
		return errors.New("child did not answer in time")
	}
}

func (p *serverProc) stats() (stats, error) {
	var st stats
	if _, err := io.WriteString(p.in, "stats\n"); err != nil {
		return st, err
	}
	return st, p.readJSON(&st, 30*time.Second)
}

func (p *serverProc) rss() (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// sample returns the child's runtime stats, then its RSS, the same way
// before and after connecting (the stats request comes first both times,
// so its cost to the child is in both RSS figures).
func (p *serverProc) sample() (stats, uint64, error) {
	st, err := p.stats()
	if err != nil {
		return st, 0, err
	}
	rss, err := p.rss()
	return st, rss, err
}

func (p *serverProc) stop() {
	p.in.Close() // the child exits when its stdin closes
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

func run(n int, mode, server string, settle time.Duration, parallel int, memprofile string) error {
	p, h, err := startChild(mode, server)
	if err != nil {
		return err
	}
	defer p.stop()
	var tlsConfig *tls.Config
	if mode == "tls" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(h.CAPEM) {
			return errors.New("child sent no CA certificate")
		}
		tlsConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	}
	time.Sleep(time.Second)
	base, baseRSS, err := p.sample()
	if err != nil {
		return err
	}

	start := time.Now()
	conns, failures := openAll(n, parallel, h, tlsConfig)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if len(conns) < n {
		return fmt.Errorf("only %d of %d connections logged in; first errors:\n  %s", len(conns), n, strings.Join(failures, "\n  "))
	}
	opened := time.Since(start)
	time.Sleep(settle)
	st, rss, err := p.sample()
	if err != nil {
		return err
	}
	// Every connection must still be there: a server that dropped them
	// would look cheap.
	if alive := countAlive(conns); alive < n {
		return fmt.Errorf("only %d of %d connections still open after %v", alive, n, settle)
	}
	const mib = 1 << 20
	fmt.Printf("server=%s mode=%s conns=%d (opened and logged in in %.1fs, then %v idle)\n", server, mode, n, opened.Seconds(), settle)
	fmt.Printf("  RSS %.1f MiB total (%.1f MiB before connecting): %.1f KiB/conn over the baseline, %.1f KiB/conn of the total\n",
		float64(rss)/mib, float64(baseRSS)/mib, float64(rss-baseRSS)/1024/float64(n), float64(rss)/1024/float64(n))
	fmt.Printf("  goroutines %d (%d before): %.2f per conn\n", st.Goroutines, base.Goroutines, float64(st.Goroutines-base.Goroutines)/float64(n))
	fmt.Printf("  Go heap %.1f MiB live-and-garbage, stacks %.1f MiB, runtime Sys %.1f MiB: heap+stacks %.1f KiB/conn over the baseline\n",
		float64(st.HeapAlloc)/mib, float64(st.StackInuse)/mib, float64(st.Sys)/mib,
		(float64(st.HeapAlloc+st.StackInuse)-float64(base.HeapAlloc+base.StackInuse))/1024/float64(n))
	if memprofile != "" {
		return p.heapProfile(memprofile)
	}
	return nil
}

// heapProfile has the child write its heap profile to path.
func (p *serverProc) heapProfile(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(p.in, "heap %s\n", abs); err != nil {
		return err
	}
	var msg string
	if err := p.readJSON(&msg, 60*time.Second); err != nil {
		return err
	}
	if msg != "" {
		return fmt.Errorf("heap profile: %s", msg)
	}
	fmt.Printf("  heap profile in %s\n", abs)
	return nil
}

// openAll opens and logs in n connections, parallel at a time. Each
// network wait has a deadline; the deadline is cleared once logged in.
func openAll(n, parallel int, h hello, tlsConfig *tls.Config) ([]net.Conn, []string) {
	var (
		mu       sync.Mutex
		conns    = make([]net.Conn, 0, n)
		failures []string
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				c, err := openOne(h, tlsConfig)
				mu.Lock()
				if err != nil {
					if len(failures) < 5 {
						failures = append(failures, err.Error())
					}
				} else {
					conns = append(conns, c)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return conns, failures
}

func openOne(h hello, tlsConfig *tls.Config) (net.Conn, error) {
	d := &net.Dialer{Timeout: 30 * time.Second}
	var (
		c   net.Conn
		err error
	)
	if tlsConfig != nil {
		c, err = tls.DialWithDialer(d, "tcp", h.Addr, tlsConfig)
	} else {
		c, err = d.Dial("tcp", h.Addr)
	}
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	br := bufio.NewReaderSize(c, 512)
	if l, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(l, "* OK") {
		c.Close()
		return nil, fmt.Errorf("greeting %q: %v", l, err)
	}
	if _, err := fmt.Fprintf(c, "a LOGIN %s %s\r\n", h.User, h.Pass); err != nil {
		c.Close()
		return nil, err
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("LOGIN: %v", err)
		}
		if strings.HasPrefix(l, "a ") {
			if !strings.HasPrefix(l, "a OK") {
				c.Close()
				return nil, fmt.Errorf("LOGIN refused: %q", strings.TrimSpace(l))
			}
			break
		}
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// countAlive checks each connection with a NOOP-free probe: a read with a
// short deadline must time out (nothing to read), not end.
func countAlive(conns []net.Conn) int {
	alive := 0
	var b [1]byte
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
		_, err := c.Read(b[:])
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			alive++
		}
	}
	return alive
}
