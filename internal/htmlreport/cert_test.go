package htmlreport

import (
	"testing"
	"time"

	"github.com/imapprobe/imapprobe/prober"
)

// TestMakeCert: days left, the warning band, and expiry told from
// NotAfter, so that a certificate expired an hour ago is not "0 days left".
func TestMakeCert(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		notAfter    time.Time
		daysLeft    int
		days, class string
	}{
		{at.Add(364 * 24 * time.Hour), 364, "364 days left", "ok"},
		{at.Add(14 * 24 * time.Hour), 14, "14 days left", "ok"},
		{at.Add(13*24*time.Hour + time.Hour), 13, "13 days left", "warn"},
		{at.Add(time.Hour), 0, "0 days left", "warn"},
		{at.Add(-time.Hour), 0, "expired 0 days ago", "fail"},
		{at.Add(-3*24*time.Hour - time.Hour), -3, "expired 3 days ago", "fail"},
	}
	for _, tc := range tests {
		cv := makeCert(prober.CertSummary{Subject: "CN=x", NotAfter: tc.notAfter, DaysLeft: tc.daysLeft}, at)
		if cv.Days != tc.days || cv.Class != tc.class || cv.NotAfter != tc.notAfter.Format("2006-01-02") {
			t.Errorf("NotAfter %v: %q class %s (expires %s), want %q class %s", tc.notAfter, cv.Days, cv.Class, cv.NotAfter, tc.days, tc.class)
		}
	}
}
