package main

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/imapprobe/imapprobe/prober"
)

// The JUnit XML of --junit, in the shape that Jenkins, GitLab, GitHub
// test reporters and Surefire read: one testsuite per target, one
// testcase per step. A failing step carries a <failure> with its code,
// summary, detail and fix; a skipped or not-requested step is <skipped/>,
// so that a passing testcase always means the step ran and passed. The
// schema it is checked against is testdata/junit.xsd.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	ID        int         `xml:"id,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Hostname  string      `xml:"hostname,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitSkipped `xml:"skipped"`
	Failure   *junitFailure `xml:"failure"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes the outcomes as one JUnit document.
func writeJUnit(w io.Writer, outs []outcome) error {
	host, _ := os.Hostname()
	doc := junitSuites{Name: "imapprobe"}
	var total time.Duration
	for i, oc := range outs {
		s := junitSuite{Name: oc.label, ID: i, Time: seconds(oc.rep.Duration),
			Timestamp: oc.rep.Started.UTC().Format("2006-01-02T15:04:05"), Hostname: orLocalhost(host)}
		for _, st := range oc.rep.Steps {
			c := junitCase{Name: st.Name, Classname: "imapprobe." + oc.target.Host, Time: seconds(st.Duration)}
			switch st.Status {
			case prober.StatusSkipped, prober.StatusNotRequested:
				c.Skipped = &junitSkipped{Message: st.Note}
				s.Skipped++
			case prober.StatusFail:
				if d := st.Diagnosis; d != nil {
					c.Failure = &junitFailure{Message: fmt.Sprintf("%s: %s", d.Code, d.Summary), Type: string(d.Code), Text: diagnosisText(*d)}
				} else {
					c.Failure = &junitFailure{Message: st.Name + " failed", Type: st.Name}
				}
				s.Failures++
			}
			var warn []string
			for _, d := range st.Warnings {
				warn = append(warn, "warning "+diagnosisText(d))
			}
			c.SystemOut = strings.Join(warn, "\n")
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Skipped += s.Skipped
		total += oc.rep.Duration
		doc.Suites = append(doc.Suites, s)
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// diagnosisText is a diagnosis as the text report shows it.
func diagnosisText(d prober.Diagnosis) string {
	s := fmt.Sprintf("%s: %s", d.Code, d.Summary)
	if d.Detail != "" {
		s += "\ndetail: " + d.Detail
	}
	if d.Hint != "" {
		s += "\nfix: " + d.Hint
	}
	return s
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.6f", d.Seconds()) }

func orLocalhost(h string) string {
	if h == "" {
		return "localhost"
	}
	return h
}
