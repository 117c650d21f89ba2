package liveui_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"

	"github.com/imapprobe/imapprobe/internal/liveui"
)

// The page on a loopback listener, as imapprobe serve --ui mounts it. A
// form with a bad URL is refused in one line before any probe; a good
// one is answered with Server-Sent Events (see the package doc).
func Example() {
	srv := httptest.NewServer(liveui.New(liveui.Options{}).Handler())
	defer srv.Close()

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField(liveui.FieldURL, "mail.example.com")
	mw.WriteField(liveui.FieldSecret, "the password")
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/ui/probe", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set(liveui.Header, "1") // what the page's script sends; another site's form cannot
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	fmt.Printf("%d %s", resp.StatusCode, answer)
	// Output:
	// 400 URL: "mail.example.com" is not a URL: use imaps://user@host/INBOX or imap://user@host/INBOX
}
