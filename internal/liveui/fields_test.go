package liveui

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/imapprobe/imapprobe/fakeserver"
	"github.com/imapprobe/imapprobe/prober"
)

// TestFormFields: each field of the form reaches the probe: the TLS mode
// (and its default port, when the URL names none), the mechanism (a token
// for XOAUTH2 and OAUTHBEARER, else a password, as typed), the mailbox
// and the CA file.
func TestFormFields(t *testing.T) {
	t.Parallel()
	type seen struct {
		Host            string
		Port            int
		TLS             prober.TLSMode
		User, Mailbox   string
		Auth            string
		Password, Token string
		CA              bool
	}
	var mu sync.Mutex
	var got seen
	r := newRig(t, Options{Probe: func(_ context.Context, tg prober.Target, o prober.Options) *prober.Report {
		mu.Lock()
		defer mu.Unlock()
		got = seen{tg.Host, tg.Port, tg.TLS, tg.User, tg.Mailbox, o.Auth, o.Password, o.Token, o.RootCAs != nil}
		return &prober.Report{Target: tg}
	}})
	ca := fakeserver.New(t).CACertPEM()
	for _, tc := range []struct {
		name   string
		fields map[string]string
		ca     []byte
		want   seen
	}{
		{"the URL alone", map[string]string{FieldURL: "imaps://alice@mail.example.com/INBOX", FieldSecret: "pw"}, nil,
			seen{"mail.example.com", 993, prober.TLSImplicit, "alice", "INBOX", "", "pw", "", false}},
		{"STARTTLS, its port", map[string]string{FieldURL: "imaps://alice@mail.example.com/INBOX", FieldTLS: "starttls", FieldSecret: "pw"}, nil,
			seen{"mail.example.com", 143, prober.TLSStartTLS, "alice", "INBOX", "", "pw", "", false}},
		{"the URL's port kept", map[string]string{FieldURL: "imap://alice@mail.example.com:1993/INBOX", FieldTLS: "implicit", FieldSecret: "pw"}, nil,
			seen{"mail.example.com", 1993, prober.TLSImplicit, "alice", "INBOX", "", "pw", "", false}},
		{"mailbox and LOGIN", map[string]string{FieldURL: "imaps://alice@mail.example.com/INBOX", FieldMailbox: "Archive/2025", FieldAuth: "login", FieldSecret: " pw with spaces "}, nil,
			seen{"mail.example.com", 993, prober.TLSImplicit, "alice", "Archive/2025", "login", " pw with spaces ", "", false}},
		{"XOAUTH2 takes a token", map[string]string{FieldURL: "imaps://alice@mail.example.com/INBOX", FieldAuth: "XOAUTH2", FieldSecret: "ya29.tok"}, nil,
			seen{"mail.example.com", 993, prober.TLSImplicit, "alice", "INBOX", "xoauth2", "", "ya29.tok", false}},
		{"OAUTHBEARER and a CA file", map[string]string{FieldURL: "imaps://alice@mail.example.com/INBOX", FieldAuth: "oauthbearer", FieldSecret: "tok"}, ca,
			seen{"mail.example.com", 993, prober.TLSImplicit, "alice", "INBOX", "oauthbearer", "", "tok", true}},
	} {
		ct, body := form(t, tc.fields, tc.ca)
		status, answer := r.do(t, http.MethodPost, "/ui/probe", ct, body, nil)
		mu.Lock()
		g := got
		got = seen{}
		mu.Unlock()
		if status != http.StatusOK || g != tc.want {
			t.Errorf("%s: status %d %.100q, the probe got %+v\nwant %+v", tc.name, status, answer, g, tc.want)
		}
	}
}
