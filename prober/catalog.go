package prober

import (
	"sort"
	"strings"
	"sync"
)

// CodeInfo documents one diagnosis code. Codes are stable public API.
type CodeInfo struct {
	Code     Code     `json:"code"`
	Step     string   `json:"step"` // the step that raises it (tls.* also in starttls)
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
	Cause    string   `json:"cause"`
	Fix      string   `json:"fix"`
	ExitCode int      `json:"exit_code"`
}

// specific are the codes with their own meaning; generic ones are added by
// buildCatalog.
var specific = []CodeInfo{
	{Code: "dns.not_found", Step: StepResolve, Summary: "the host name does not exist",
		Cause: "DNS answered NXDOMAIN or no address for the name.",
		Fix:   "Check the spelling of the host name, or use --connect-addr to probe an IP address directly."},
	{Code: "dns.failure", Step: StepResolve, Summary: "DNS lookup failed",
		Cause: "The resolver failed (SERVFAIL, no resolver reachable, malformed answer).",
		Fix:   "Check the resolver configuration (/etc/resolv.conf) and network; retry, or use --connect-addr."},
	{Code: "tcp.refused", Step: StepConnect, Summary: "connection refused",
		Cause: "Nothing listens on that port, or a firewall actively rejects it.",
		Fix:   "Check the port (993 for imaps://, 143 for imap://) and that the IMAP service runs."},
	{Code: "tcp.unreachable", Step: StepConnect, Summary: "host or network unreachable",
		Cause: "No route to the address, or the source address cannot be used.",
		Fix:   "Check routing, VPN and firewall; check --source-addr; try another address with --connect-addr."},
	{Code: "tcp.reset", Step: StepConnect, Summary: "connection reset",
		Cause: "The peer or a middlebox reset the TCP connection.",
		Fix:   "Check the server's log: an IMAP process that crashes on every connection (often a TLS misconfiguration such as an unreadable key) resets it; otherwise check firewalls, load balancers and the server's connection limits."},
	{Code: "tls.not_tls", Step: StepTLS, Summary: "the server answered in plaintext where TLS was expected",
		Cause: "The port speaks plain IMAP (or another protocol), not implicit TLS.",
		Fix:   "Use imap:// (STARTTLS, usually port 143) for this port, or the implicit-TLS port (993) with imaps://."},
	{Code: "tls.handshake_failed", Step: StepTLS, Summary: "TLS handshake failed",
		Cause: "No common TLS version or cipher, a TLS alert from the server, or the server closed during the handshake.",
		Fix:   "Check the server's TLS configuration (protocols, ciphers, certificate); the detail names the alert."},
	{Code: "tls.cert_expired", Step: StepTLS, Summary: "the server certificate has expired",
		Cause: "The leaf (or a chain) certificate's NotAfter is in the past.",
		Fix:   "Renew the certificate on the server (check the renewal job, e.g. certbot), then reload the IMAP service."},
	{Code: "tls.cert_not_yet_valid", Step: StepTLS, Summary: "the server certificate is not valid yet",
		Cause: "The certificate's NotBefore is in the future: a clock is wrong, or the certificate was issued early.",
		Fix:   "Check the clocks of client and server (NTP); reissue the certificate if its dates are wrong."},
	{Code: "tls.cert_hostname_mismatch", Step: StepTLS, Summary: "the certificate does not cover the host name",
		Cause: "The name you connect to is not among the certificate's subject alternative names.",
		Fix:   "Connect with a name the certificate lists (see the detail), or add this name to the certificate; --servername sets the name to verify."},
	{Code: "tls.cert_self_signed", Step: StepTLS, Summary: "the server certificate is self-signed",
		Cause: "The server presents a certificate signed by itself, which no trusted CA vouches for.",
		Fix:   "Install a certificate from a trusted CA, or trust this one explicitly with --ca-file."},
	{Code: "tls.cert_untrusted", Step: StepTLS, Summary: "the certificate chain is not trusted",
		Cause: "The issuing CA is unknown to the trust store, or the server omits an intermediate certificate.",
		Fix:   "Configure the server to send the full chain (leaf + intermediates), or pass the CA with --ca-file."},
	{Code: "tls.cert_expiring", Step: StepTLS, Severity: SeverityWarning, Summary: "the server certificate expires soon",
		Cause: "Fewer days are left than the expiry-warning threshold (14 days by default).",
		Fix:   "Renew the certificate before it expires."},
	{Code: "tls.weak_version", Step: StepTLS, Severity: SeverityWarning, Summary: "the server negotiated a TLS version below 1.2",
		Cause: "The server offers only TLS 1.0 or 1.1, which are deprecated and insecure.",
		Fix:   "Enable TLS 1.2 and 1.3 on the server (e.g. Dovecot ssl_min_protocol = TLSv1.2)."},
	{Code: "greeting.closed", Step: StepGreeting, Summary: "the server closed the connection before a greeting",
		Cause: "The server accepted and closed: overloaded, connection limit, blocked client address, or a broken login process.",
		Fix:   "Check the server's log and per-IP connection limits; with TLS, the mode may be wrong (try imaps:// or imap://)."},
	{Code: "greeting.bye", Step: StepGreeting, Summary: "the server refused the connection with BYE",
		Cause: "The server greets with BYE: too many connections, maintenance, or your address is rejected.",
		Fix:   "Read the BYE text in the detail; wait, or ask the administrator."},
	{Code: "greeting.malformed", Step: StepGreeting, Summary: "the greeting is not an IMAP greeting",
		Cause: "The port answers with another protocol (POP3 +OK, SMTP 220, HTTP, SSH) or garbage: wrong port or proxy.",
		Fix:   "Use the IMAP port: 993 with imaps://, 143 with imap://."},
	{Code: "starttls.unavailable", Step: StepStartTLS, Summary: "the server does not offer STARTTLS",
		Cause: "STARTTLS is missing from CAPABILITY (or the server sent PREAUTH), so the connection cannot be encrypted.",
		Fix:   "Enable STARTTLS on the server, or use implicit TLS (imaps://, port 993); --tls none only on a trusted network."},
	{Code: "starttls.refused", Step: StepStartTLS, Summary: "the server refused STARTTLS",
		Cause: "STARTTLS was answered with NO, typically a TLS misconfiguration on the server.",
		Fix:   "Check the server's TLS certificate and key settings and its log."},
	{Code: "auth.insecure_transport", Step: StepAuth, Summary: "credentials were not sent over an unencrypted connection",
		Cause: "The connection is not encrypted; imapprobe never sends credentials in cleartext unless asked.",
		Fix:   "Use imaps:// or imap:// with STARTTLS; pass --allow-plaintext-auth only on a trusted network."},
	{Code: "auth.no_credentials", Step: StepAuth, ExitCode: ExitUsage, Summary: "no credentials were given, so login was not tested",
		Cause: "The probe was asked to log in, but no password or token (or no user name) was given.",
		Fix:   "Give the user in the URL and a password (IMAPPROBE_PASSWORD, --password-file) or a token (IMAPPROBE_TOKEN, --token-file, --token-cmd); or stop earlier on purpose with --quit-after capability."},
	{Code: "auth.weak_tls", Step: StepAuth, ExitCode: ExitTLS, Summary: "credentials were not sent over TLS older than 1.2",
		Cause: "The server negotiated TLS 1.0 or 1.1, which are deprecated and breakable; imapprobe sends no credentials over them unless asked.",
		Fix:   "Enable TLS 1.2 and 1.3 on the server (e.g. Dovecot ssl_min_protocol = TLSv1.2); pass --allow-weak-tls to log in anyway."},
	{Code: "auth.login_disabled", Step: StepAuth, Summary: "the server forbids login on this connection",
		Cause: "LOGINDISABLED or [PRIVACYREQUIRED]: the server requires TLS before login.",
		Fix:   "Connect with TLS: imaps:// (993) or imap:// with STARTTLS. Already on TLS, the server refuses LOGIN outright: use --auth with a mechanism it lists (AUTH=...)."},
	{Code: "auth.mechanism_unsupported", Step: StepAuth, Summary: "the server does not offer the authentication mechanism",
		Cause: "The requested (or any usable) mechanism is not among the server's AUTH= capabilities.",
		Fix:   "Pick a mechanism the server lists (see the detail) with --auth, or enable it on the server."},
	{Code: "auth.failed", Step: StepAuth, Summary: "authentication failed",
		Cause: "The user name or password is wrong ([AUTHENTICATIONFAILED] or equivalent text).",
		Fix:   "Check the user name (often the full address) and password; some providers need an app password."},
	{Code: "auth.token_rejected", Step: StepAuth, Summary: "the OAuth2 token was rejected",
		Cause: "The XOAUTH2/OAUTHBEARER token is invalid, expired, for another user, or lacks the IMAP scope.",
		Fix:   "Obtain a fresh token with the mail scope for this user (see status and scope in the detail)."},
	{Code: "auth.unavailable", Step: StepAuth, Summary: "authentication is temporarily unavailable",
		Cause: "[UNAVAILABLE]: the server's authentication backend failed.",
		Fix:   "Retry later; the administrator should check the auth backend (LDAP, SQL, OAuth introspection)."},
	{Code: "auth.expired", Step: StepAuth, Summary: "the credentials have expired",
		Cause: "[EXPIRED]: the password or account has expired.",
		Fix:   "Change the password or renew the account, then retry."},
	{Code: "auth.authorization_failed", Step: StepAuth, Summary: "authenticated, but not allowed to use this account",
		Cause: "[AUTHORIZATIONFAILED]: the identity may not act as the user, or IMAP access is disabled for the account.",
		Fix:   "Check that IMAP is enabled for the account and that the authorization identity is right."},
	{Code: "list.failed", Step: StepList, Summary: "the server refused to list mailboxes",
		Cause: "LIST was answered with NO.",
		Fix:   "Check the server's log and the account's mail storage."},
	{Code: "mailbox.not_found", Step: StepSelect, Summary: "the mailbox does not exist",
		Cause: "[NONEXISTENT], or a NO for a name absent from LIST.",
		Fix:   "Check the mailbox name (case and hierarchy delimiter); the hint lists the closest existing names."},
	{Code: "mailbox.no_permission", Step: StepSelect, Summary: "no permission to open the mailbox",
		Cause: "[NOPERM]: the ACL does not let this user read the mailbox.",
		Fix:   "Grant the user read rights on the mailbox, or probe another one with --mailbox."},
	{Code: "mailbox.in_use", Step: StepSelect, Summary: "the mailbox is in use",
		Cause: "[INUSE]: another session holds a lock on it.",
		Fix:   "Retry later, or find the session holding the lock."},
	{Code: "mailbox.select_failed", Step: StepSelect, Summary: "the server could not open the mailbox",
		Cause: "SELECT/EXAMINE was answered with NO for an existing mailbox.",
		Fix:   "Read the server's text in the detail and its log (storage or index corruption, quota)."},
	{Code: "mailbox.read_only", Step: StepSelect, Severity: SeverityWarning, Summary: "the mailbox opened read-only",
		Cause: "SELECT was requested, but the server granted READ-ONLY access.",
		Fix:   "Check the user's rights if write access is expected."},
	{Code: "fetch.failed", Step: StepFetch, Summary: "the server could not fetch the newest message",
		Cause: "FETCH was answered with NO, or returned no data for the message.",
		Fix:   "Read the server's text and its log (storage errors, damaged message)."},
	{Code: "fetch.incomplete", Step: StepFetch, Summary: "the message body is shorter or longer than RFC822.SIZE",
		Cause: "The body the server sent does not match the size it reports: storage or index corruption, or a broken proxy.",
		Fix:   "Rebuild the server's index for the mailbox (e.g. doveadm force-resync) and check storage."},
}

// generic describes the per-step codes; %s is the step name.
var genericInfo = map[string]CodeInfo{
	"timeout": {Summary: "no answer before the step deadline",
		Cause: "The server (or the network) did not answer within --timeout.",
		Fix:   "Check server load and the network path; raise --timeout if the server is merely slow."},
	"dropped": {Summary: "the connection closed in the middle of the step",
		Cause: "The server closed the connection (quoted BYE text in the detail, if any) or the network dropped it.",
		Fix:   "Read the BYE text and the server's log; check idle and connection limits."},
	"bad": {Summary: "the server answered BAD",
		Cause: "The server rejected the command as invalid: a protocol incompatibility.",
		Fix:   "Read the server's text in the detail; report it to the server's vendor if the command is valid."},
	"malformed": {Summary: "the server sent a malformed response",
		Cause: "The response breaks the IMAP grammar, or exceeds the line or literal limits.",
		Fix:   "The detail quotes the offending bytes; check proxies in between and report it to the server's vendor."},
	"slow": {Severity: SeverityWarning, Summary: "the step was slow",
		Cause: "The step took longer than --slow (2 s by default).",
		Fix:   "Check server load, DNS and network latency."},
}

// codeTables are what plan and the code lists above give, built once on
// first use: package initialisation cannot build them, since the steps in
// plan read them (see plan).
type codeTables struct {
	catalog map[Code]CodeInfo
	area    map[string]string // step name -> code prefix
	exit    map[string]int    // code prefix -> exit code
}

var (
	tablesOnce sync.Once
	tables     codeTables
)

func built() *codeTables {
	tablesOnce.Do(func() { tables = buildTables() })
	return &tables
}

// catalog maps every diagnosis code to its entry.
func catalog() map[Code]CodeInfo { return built().catalog }

// area maps each step to its code prefix.
func area() map[string]string { return built().area }

// genericCode names a step's generic code, e.g. genericCode("auth",
// "timeout") is auth.timeout. TestGenericCodesAreCataloged checks that every
// one the prober raises exists.
func genericCode(step, kind string) Code { return Code(area()[step] + "." + kind) }

// StepCode is step's generic diagnosis of kind (timeout, dropped, bad,
// malformed or slow): StepCode(StepSelect, "timeout") is mailbox.timeout.
// It is false when the catalog has no such code.
func StepCode(step, kind string) (Code, bool) {
	c := genericCode(step, kind)
	_, ok := catalog()[c]
	return c, ok
}

func buildTables() codeTables {
	t := codeTables{catalog: map[Code]CodeInfo{}, area: map[string]string{}, exit: map[string]int{}}
	for _, c := range specific {
		t.catalog[c.Code] = c
	}
	for _, st := range plan() {
		t.area[st.name], t.exit[st.area] = st.area, st.exit
		for _, kind := range st.generic {
			c := genericInfo[kind]
			c.Code, c.Step = Code(st.area+"."+kind), st.name
			t.catalog[c.Code] = c
		}
	}
	for code, c := range t.catalog {
		if c.Severity == "" {
			c.Severity = SeverityError
		}
		if c.ExitCode == 0 {
			c.ExitCode = t.exitFor(c)
		}
		t.catalog[code] = c
	}
	return t
}

// exitFor: warnings exit 1 (with --strict); dropped, bad and malformed after
// the greeting are server misbehaviour (9); the rest exit by area.
func (t *codeTables) exitFor(c CodeInfo) int {
	if c.Severity == SeverityWarning {
		return ExitWarnings
	}
	prefix, kind, _ := strings.Cut(string(c.Code), ".")
	switch kind {
	case "dropped", "bad", "malformed":
		if prefix != "greeting" {
			return ExitMisbehaved
		}
	}
	return t.exit[prefix]
}

func exitCodeOf(code Code) int {
	if c, ok := catalog()[code]; ok {
		return c.ExitCode
	}
	return ExitMisbehaved
}

// Catalog returns every diagnosis code, sorted by step order, then code.
func Catalog() []CodeInfo {
	order := map[string]int{}
	for i, s := range Steps {
		order[s] = i
	}
	out := make([]CodeInfo, 0, len(catalog()))
	for _, c := range catalog() {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if order[out[i].Step] != order[out[j].Step] {
			return order[out[i].Step] < order[out[j].Step]
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// Lookup returns the catalog entry for code.
func Lookup(code Code) (CodeInfo, bool) {
	c, ok := catalog()[code]
	return c, ok
}
