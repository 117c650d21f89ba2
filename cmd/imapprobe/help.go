package main

import "strings"

// help returns the --help text; plain spells the marks as the ASCII
// report does.
func help(plain bool) string {
	if !plain {
		return helpText
	}
	return strings.NewReplacer("✓ ok, ! warning, ✗ failure, - skipped, · not requested",
		"OK, WARN, FAIL, - skipped, . not requested").Replace(helpText)
}

const helpText = `imapprobe: diagnose an IMAP account step by step.

Usage:
  imapprobe [flags] imaps://USER@HOST[:PORT]/MAILBOX   implicit TLS (default port 993)
  imapprobe [flags] imap://USER@HOST[:PORT]/MAILBOX    STARTTLS required (default port 143)
  imapprobe [flags] --host HOST [--port N] [--user U] [--mailbox M] [--tls MODE]
  imapprobe [flags] URL URL...  |  --targets FILE      a batch: a summary table, or JSON Lines
  imapprobe explain [CODE]                              cause, fix and exit code of a diagnosis code
  imapprobe demo                                        run the built-in demonstration
  imapprobe serve --config FILE [--listen ADDR]         a Prometheus exporter (blackbox_exporter style)
  imapprobe serve --config FILE --ui                    ... and a live probe page on 127.0.0.1:9954/ui

Steps: resolve, connect, tls, greeting, capability, starttls, auth, list,
select (EXAMINE unless --select), fetch (newest message, read-only), logout.
A failing step ends the probe; later steps are reported as skipped.
Credentials are required, since an OK must mean that login was tested;
check less only on purpose, with --quit-after.

Target:
  --host HOST             server name (instead of a URL)
  --port N                port (default 993 for implicit TLS, 143 otherwise)
  --user USER             login name (overrides the URL's; in a URL, write my%20user for a space)
  --mailbox NAME          mailbox to open (default INBOX)
  --tls MODE              implicit | starttls | none (default implicit; starttls for port 143)
  --connect-addr IP[:P]   connect to this address but verify the certificate for HOST
  --servername NAME       name for SNI and certificate verification (default HOST)
  --source-addr IP        local address to connect from
  --quit-after STEP       stop after STEP (e.g. tls, capability, auth); later steps are
                          reported as not requested, and credentials are not needed before auth

Credentials (never printed; a password in the URL is refused; each at most 64 KiB):
  IMAPPROBE_PASSWORD      password from the environment
  --password-file FILE    password from the first line of FILE; - reads standard input
  --password PASS         works, but warns: visible in ps and shell history
                          Without any of these, a terminal prompts with echo off.
  --auth MECH             login | plain | xoauth2 | oauthbearer (default: chosen by what the
                          server offers; with both a password and a token, the report says
                          which was used)
  IMAPPROBE_TOKEN         OAuth2 access token from the environment
  --token-file FILE       OAuth2 token from FILE
  --token-cmd CMD         run CMD (with /bin/sh, at most 30s, in its own process group, so it
                          cannot read the terminal) and use what it prints as the token; its
                          stderr is shown afterwards, with the secrets masked
  --allow-plaintext-auth  allow sending credentials without TLS (trusted networks only)
  --allow-weak-tls        allow sending credentials over TLS older than 1.2

TLS:
  --ca-file FILE          trust the CA certificates in this PEM file instead of the system roots
  --insecure-skip-verify  continue despite certificate problems (still reported as warnings)
  --expiry-warning D      warn when the certificate expires within D (default 336h = 14 days)

Limits:
  --timeout D             deadline for each step (default 10s)
  --total-timeout D       deadline for the whole probe (default 60s)
  --slow D                warn when a step takes longer (default 2s)
  --max-fetch SIZE        fetch at most SIZE bytes of the message body (default 1M; e.g. 64K)
  --select                open the mailbox with SELECT instead of read-only EXAMINE

Output:
  (default)               readable report: ✓ ok, ! warning, ✗ failure, - skipped, · not requested,
                          with timings, the diagnosis code, detail and fix; colour only on a
                          terminal and never when NO_COLOR is set; plain ASCII unless the
                          locale (LC_ALL, LC_CTYPE or LANG) is UTF-8
  -v, --verbose           add the redacted wire transcript (C: client, S: server, *: TLS)
  --json                  print the report as JSON (schema "imapprobe/report/v1"); a usage
                          error prints {"schema": "imapprobe/error/v1", "error", "exit_code"}
  --html FILE             also write the report to FILE as one self-contained HTML page (no
                          script, nothing fetched): diagnosis card, failing step, timing
                          waterfall, certificate chain, redacted transcript
  --record FILE           also write the session as a recording (masked, replayable with
                          fakeimapd --replay FILE; the format is in the README)
  --strict                exit 1 when there are warnings
  --format nagios         one Nagios status line with perfdata; exit 0 OK, 1 WARNING (a warning,
                          or the certificate within --warn-days), 2 CRITICAL (a failed step, or
                          the certificate within --crit-days), 3 UNKNOWN (bad input)
  --warn-days N           with --format nagios: WARNING when the certificate expires within N
                          days (default 14; replaces --expiry-warning)
  --crit-days N           with --format nagios: CRITICAL within N days (default 7)
  --junit FILE            also write JUnit XML: a testsuite per target, a testcase per step
                          (a failure with code, summary and fix; skipped steps <skipped/>)
  --version               print the version and exit
  -h, --help              this help

Batches and pipelines (the same credentials and flags for every target):
  --targets FILE          probe the URLs in FILE, one a line (# comments, blank lines); - reads
                          standard input; a bad line is named as FILE:LINE (exit 2)
  --parallel N            probes at once in a batch (default 8); on a terminal, stderr shows
                          a live "done/total, failed" line
  --all-addrs             probe every A and AAAA address of the host, each as its own result
                          (the certificate is still verified for the name)
  -4, -6                  only IPv4 or only IPv6 addresses (with or without --all-addrs)
  --wait D                retry until every probe is OK or D passes, one line per attempt on
                          stderr; then the last attempt's output as usual
  --interval D            time between the starts of attempts (default 2s)
  A batch exits with the highest exit code of its targets (9 worst, 0 best).

Exit codes:
  0 OK (warnings allowed)      5 greeting, capability or STARTTLS
  1 warnings, with --strict    6 authentication
  2 usage error, or no         7 mailbox (list, select)
    credentials                8 fetch
  3 DNS or TCP                 9 other server misbehaviour (dropped, BAD, malformed)
  4 TLS
  130 interrupted (SIGINT or SIGTERM): the report printed so far is incomplete; a probe
      that does not stop within 2s, or a second signal, exits without it

Every diagnosis code, with cause and fix: imapprobe explain CODE (or docs/diagnoses.md).
`
