// Command httpload drives an HTTP endpoint for bench/batch-vs-blackbox.sh:
// N GET requests of one URL, C at a time, and prints the rate. It fails,
// printing no rate, unless every answer is 200 and holds -want, so that a
// fast error page is never counted as a probe.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "", "URL to GET")
	n := flag.Int("n", 1000, "requests in all")
	c := flag.Int("c", 32, "requests at once")
	want := flag.String("want", "", "text every body must hold")
	flag.Parse()
	if *url == "" || *n < 1 || *c < 1 {
		fmt.Fprintln(os.Stderr, "httpload: want -url, and -n and -c of 1 or more")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *c}}
	var next, bad atomic.Int64
	var firstBad atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range *c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(*n) {
				resp, err := client.Get(*url)
				if err != nil {
					bad.Add(1)
					firstBad.CompareAndSwap(nil, err.Error())
					continue
				}
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.Contains(string(body), *want) {
					bad.Add(1)
					firstBad.CompareAndSwap(nil, fmt.Sprintf("%s: %.300q", resp.Status, body))
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if b := bad.Load(); b > 0 {
		fmt.Fprintf(os.Stderr, "httpload: %d of %d requests failed; first: %v\n", b, *n, firstBad.Load())
		os.Exit(1)
	}
	fmt.Printf("%.1f\n", float64(*n)/elapsed.Seconds())
}
