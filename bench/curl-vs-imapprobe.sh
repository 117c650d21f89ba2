#!/usr/bin/env bash
# Pairs imapprobe's full probe with `curl imaps://HOST:PORT/INBOX;UID=1`
# (one message fetched) against a throwaway Dovecot 2.3 and against
# cmd/fakeimapd, both on loopback. Runs interleave; medians of N (default 31)
# of wall time and CPU (user+sys from rusage) are printed with the ratio
# imapprobe/curl. Exits nonzero, printing no figure, if a probe does not exit
# 0 saying "; exit 0" (OK, perhaps with warnings), or curl does not return the seeded message.
#   bench/curl-vs-imapprobe.sh            N=41 bench/curl-vs-imapprobe.sh
# BASE=REV also builds imapprobe at git revision REV and interleaves it with
# this tree's imapprobe and curl in the same run, for before/after figures,
# each given as a ratio to curl: BASE=c09fbb4 bench/curl-vs-imapprobe.sh
# Both builds are static (CGO_ENABLED=0), as make build makes them.
# The password is random, kept in files, and never printed.
set -euo pipefail

N=${N:-31}
DOVECOT=${DOVECOT:-/usr/sbin/dovecot}
root=$(cd "$(dirname "$0")/.." && pwd)
# Short, world-traversable dir: Dovecot's sockets and dovenull need both.
dir=$(mktemp -d /tmp/cvi.XXXXXX)
chmod 755 "$dir"
# shellcheck source=lib.sh
. "$root/bench/lib.sh"

# waitgreet PORT: up to 10 s for a TLS "* OK" greeting (not just an accept).
waitgreet() {
	for _ in $(seq 100); do
		# Captured, not piped into grep -q: under pipefail an early grep exit
		# SIGPIPEs s_client and the check never passes.
		local out
		out=$( (sleep 1) | timeout 2 openssl s_client -quiet -connect "127.0.0.1:$1" 2>/dev/null || true)
		if [[ $out == "* OK"* ]]; then return 0; fi
		sleep 0.1
	done
	echo "no greeting on 127.0.0.1:$1" >&2; return 1
}

echo "building imapprobe, fakeimapd, curlvs" >&2
(cd "$root" && CGO_ENABLED=0 go build -o "$dir/bin/" ./cmd/imapprobe ./cmd/fakeimapd ./bench/curlvs)
probers=("$dir/bin/imapprobe")
if [[ -n ${BASE:-} ]]; then
	echo "building imapprobe at $BASE" >&2
	mkdir -p "$dir/base-src" "$dir/base-bin"
	git -C "$root" archive "$BASE" | tar -x -C "$dir/base-src"
	(cd "$dir/base-src" && CGO_ENABLED=0 go build -o "$dir/base-bin/" ./cmd/imapprobe)
	probers=("$dir/base-bin/imapprobe" "$dir/bin/imapprobe")
fi

user=bench
pass=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$pass" >"$dir/pass"
chmod 600 "$dir/pass"
marker="X-Bench-Marker: $(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# --- Dovecot ---
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
chmod 644 "$dir/key.pem"
printf '%s:{PLAIN}%s::::::\n' "$user" "$pass" >"$dir/passwd"
chmod 644 "$dir/passwd"
mkdir -p "$dir/mail/$user/new" "$dir/mail/$user/cur" "$dir/mail/$user/tmp" "$dir/base" "$dir/state"
printf 'From: a@example.test\r\nTo: %s@example.test\r\nSubject: bench\r\nDate: Thu, 03 Dec 2026 08:00:00 +0000\r\nMessage-ID: <bench-1@example.test>\r\n%s\r\n\r\nbody\r\n' \
	"$user" "$marker" >"$dir/mail/$user/new/1.bench:2,"
chown -R nobody:nogroup "$dir/mail"
iport=$(freeport); sport=$(freeport)
cat >"$dir/dovecot.conf" <<CONF
base_dir = $dir/base
state_dir = $dir/state
instance_name = cvi-$$
log_path = $dir/dovecot.log
protocols = imap
default_login_user = dovenull
default_internal_user = dovecot
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
first_valid_gid = 1
passdb {
  driver = passwd-file
  args = $dir/passwd
}
userdb {
  driver = passwd-file
  args = $dir/passwd
}
mail_location = maildir:$dir/mail/%u
ssl = yes
ssl_cert = <$dir/cert.pem
ssl_key = <$dir/key.pem
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $iport
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $sport
    ssl = yes
  }
}
CONF
"$DOVECOT" -F -c "$dir/dovecot.conf" >"$dir/dovecot.out" 2>&1 &
pids+=($!)
waitgreet "$sport" || { cat "$dir/dovecot.log" "$dir/dovecot.out" >&2 || true; exit 1; }

printf 'machine 127.0.0.1 login %s password %s\n' "$user" "$pass" >"$dir/netrc"
chmod 600 "$dir/netrc"

bench() { # LABEL PORT CAFILE CURLWANT: every imapprobe build and curl, interleaved in one run
	local args=() cmds=()
	for bin in "${probers[@]}"; do
		name=imapprobe
		if [[ $bin == "$dir/base-bin/"* ]]; then name="imapprobe@$BASE"; fi
		args+=(-name "$name" -want '; exit 0')
		cmds+=("$bin" --password-file "$dir/pass" --ca-file "$3" "imaps://$user@127.0.0.1:$2/INBOX" :::)
	done
	args+=(-name curl -want "$4")
	cmds+=(curl -s --fail --cacert "$3" --netrc-file "$dir/netrc" "imaps://127.0.0.1:$2/INBOX;UID=1")
	"$dir/bin/curlvs" -n "$N" -label "$1" "${args[@]}" -- "${cmds[@]}"
}
bench dovecot-2.3 "$sport" "$dir/cert.pem" "$marker"

# --- the fake (cmd/fakeimapd) ---
printf '%s:%s\n' "$user" "$pass" >"$dir/users"
chmod 600 "$dir/users"
fport=$(freeport)
"$dir/bin/fakeimapd" --quiet --users-file "$dir/users" --tls-listen "127.0.0.1:$fport" \
	--ca-out "$dir/fakeca.pem" >"$dir/fake.out" 2>&1 &
pids+=($!)
waitgreet "$fport" || { cat "$dir/fake.out" >&2; exit 1; }
bench fakeimapd "$fport" "$dir/fakeca.pem" 'Subject: Welcome to the fake IMAP server'

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
