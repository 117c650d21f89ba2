package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/imapprobe/imapprobe/prober"
)

// shownReport is what Chromium shows of an htmlreport body: the live
// page's #report or the --html file's body.
type shownReport struct {
	Code, DataCode, Failing, FailingText, Verdict string
	Card                                          []string // the card's summary, detail and fix
	Bars                                          int
	Chain                                         []string // subject, then the days text
	Lines                                         []string // colour class, then the line's text
	Colors                                        map[string]string
}

// showReport reads the report under the CSS selector root.
func showReport(t *testing.T, ctx context.Context, root string) shownReport {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[shownReport](fmt.Sprintf(`((root) => {
		const r = document.querySelector(root);
		const q = (s) => r.querySelector(s);
		const failing = q('tr[data-failing="true"]');
		const color = {};
		for (const c of ["c", "s", "x"]) {
			const l = q('.line.' + c);
			if (l) color[c] = getComputedStyle(l).color;
		}
		return {
			Code: q('#diagnosis .code') ? q('#diagnosis .code').textContent : "",
			DataCode: q('#diagnosis') ? q('#diagnosis').dataset.code : "",
			Card: ['.summary', '.detail', '.fix'].map((c) => q('#diagnosis ' + c) ? q('#diagnosis ' + c).textContent : ""),
			Failing: failing ? failing.dataset.step : "",
			FailingText: failing ? failing.innerText.split(/\s+/).join(" ") : "",
			Verdict: q('#verdict').innerText,
			Bars: r.querySelectorAll('#waterfall svg rect.bar').length,
			Chain: [...r.querySelectorAll('#chain li.cert')].map((li) => li.querySelector('b').textContent + "|" + li.querySelector('.days').textContent),
			Lines: [...r.querySelectorAll('#transcript .line')].map((l) => [...l.classList].filter((c) => c !== "line").join(" ") + " " + l.textContent),
			Colors: color,
		};
	})(%q)`, root)))
	if err != nil {
		t.Fatalf("reading the report under %s: %v", root, err)
	}
	return got
}

// jsonReport is the part of a report's JSON that the page draws from.
type jsonReport struct {
	Steps []struct {
		Name, Status string
		Diagnosis    *struct{ Code, Summary, Detail, Hint string }
		Details      struct {
			Chain []struct {
				Subject  string
				DaysLeft int `json:"days_left"`
			}
		}
		Transcript []struct {
			AtNS      int64 `json:"at_ns"`
			Dir, Text string
		}
	}
}

// Transcript line colours of report.css: C blue, S green, * grey.
var lineColors = map[string]string{"c": "rgb(5, 80, 174)", "s": "rgb(17, 99, 41)", "x": "rgb(110, 119, 129)"}

// checkShown compares what the browser shows with the report's JSON: the
// card's exact code, summary, detail and fix, the failing step marked, one bar per performed step,
// each certificate with its days left, and each transcript line with its
// direction's colour and its time from the connection's start.
func checkShown(t *testing.T, got shownReport, reportJSON []byte, step string, code prober.Code) {
	t.Helper()
	var rep jsonReport
	if err := json.Unmarshal(reportJSON, &rep); err != nil {
		t.Fatalf("the report's JSON: %v", err)
	}
	want := shownReport{Code: string(code), DataCode: string(code), Failing: step,
		Verdict: fmt.Sprintf("FAIL at %s (%s)", step, code), Colors: map[string]string{}}
	class := map[string]string{"C": "c", "S": "s"}
	for _, s := range rep.Steps {
		if s.Status != string(prober.StatusSkipped) && s.Status != string(prober.StatusNotRequested) {
			want.Bars++
		}
		if d := s.Diagnosis; d != nil && s.Name == step {
			want.Card = []string{d.Summary, "Detail " + d.Detail, "Fix " + d.Hint}
		}
		if want.Chain == nil {
			for _, c := range s.Details.Chain {
				want.Chain = append(want.Chain, fmt.Sprintf("%s|%d days left", c.Subject, c.DaysLeft))
			}
		}
		for _, l := range s.Transcript {
			c := class[l.Dir]
			if c == "" {
				c = "x"
			}
			want.Lines = append(want.Lines, fmt.Sprintf("%s +%.3fs %s: %s", c, float64(l.AtNS)/1e9, l.Dir, l.Text))
			want.Colors[c] = lineColors[c]
		}
	}
	if !strings.Contains(got.FailingText, "failing step") {
		t.Errorf("the failing row reads %q, want it to say \"failing step\"", got.FailingText)
	}
	if len(want.Chain) == 0 || len(want.Colors) < 2 {
		t.Errorf("the report has chain %q and line colours %v: too little to check", want.Chain, want.Colors)
	}
	got.FailingText = ""
	if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
		t.Errorf("the browser shows\n%s\nwant\n%s", g, w)
	}
}
