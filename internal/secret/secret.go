// Package secret reads passwords and tokens for the imapprobe command and
// the exporter alike: from a file, a reader or a command, each read capped
// at Max bytes, and every error free of the secret itself.
package secret

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Max bounds every read of a password or token. Real ones are far shorter
// (OAuth2 access tokens are a few KiB); reading /dev/zero must not exhaust
// memory before any deadline applies.
const Max = 64 << 10

// ErrTooLong is a secret over Max.
var ErrTooLong = fmt.Errorf("longer than %d KiB: give just the secret", Max>>10)

// ErrEmpty is a file or line that holds no secret.
var ErrEmpty = errors.New("empty")

// FirstLine returns the first line of r without its line ending, reading
// at most Max bytes and not waiting for more once the line has ended
// (standard input may stay open).
func FirstLine(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, Max+2), 4096)
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if len(line) > Max {
		return "", ErrTooLong
	}
	return line, nil
}

// PasswordFile returns the first line of the file at path; ErrEmpty when
// that line is empty.
func PasswordFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	pw, err := FirstLine(f)
	if err == nil && pw == "" {
		err = ErrEmpty
	}
	return pw, err
}

// TokenFile returns the whole file at path, trimmed of white space;
// ErrEmpty when nothing is left.
func TokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, Max+1))
	switch {
	case err != nil:
		return "", err
	case len(b) > Max:
		return "", ErrTooLong
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", ErrEmpty
	}
	return tok, nil
}
