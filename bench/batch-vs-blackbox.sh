#!/usr/bin/env bash
# Fleet speed of imapprobe's batch mode, side by side with Debian's
# prometheus-blackbox-exporter, against one cmd/fakeimapd on loopback.
#
# imapprobe: `--targets FILE --parallel P --json` with N copies of the
# target, each a full session (TLS, login, LIST, EXAMINE, FETCH, LOGOUT),
# over implicit TLS and over STARTTLS. blackbox_exporter: a tcp module
# doing STARTTLS and LOGIN by query_response, driven by bench/httpload with
# N /probe requests, P at a time. R rounds (default 5) interleave the
# three; prints the median probes/s of each and the median per-round ratio
# imapprobe (STARTTLS) / blackbox, and imapprobe's RSS per in-flight probe:
# (max RSS at --parallel P - max RSS at --parallel 1) / (P - 1).
# Exits nonzero, printing no figure, if any probe is not OK.
#   bench/batch-vs-blackbox.sh           N=4000 P=128 R=7 bench/batch-vs-blackbox.sh
# The password is random, kept in files, and never printed.
set -euo pipefail

N=${N:-2000}
P=${P:-64}
R=${R:-5}
BLACKBOX=${BLACKBOX:-/usr/bin/prometheus-blackbox-exporter}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/bvb.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT

if [[ ! -x $BLACKBOX ]]; then
	echo "no $BLACKBOX: apt-get install prometheus-blackbox-exporter (or set BLACKBOX=path)" >&2
	exit 1
fi
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitport() {
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "nothing listens on 127.0.0.1:$1" >&2
	return 1
}

echo "building imapprobe, fakeimapd, httpload" >&2
(cd "$root" && go build -o "$dir/bin/" ./cmd/imapprobe ./cmd/fakeimapd ./bench/httpload)

user=bench
pass=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$pass" >"$dir/pass"
printf '%s:%s\n' "$user" "$pass" >"$dir/users"
chmod 600 "$dir/pass" "$dir/users"

plain=$(freeport)
tls=$(freeport)
"$dir/bin/fakeimapd" --mode starttls --listen "127.0.0.1:$plain" --tls-listen "127.0.0.1:$tls" \
	--users-file "$dir/users" --ca-out "$dir/ca.pem" --quiet >"$dir/fake.log" 2>&1 &
pids+=($!)
waitport "$plain"
waitport "$tls"

# probe URL PARALLEL: runs the batch; prints "seconds maxrss_kib"
batch() {
	local url=$1 par=$2 n=$3
	awk -v u="$url" -v n="$n" 'BEGIN { for (i = 0; i < n; i++) print u }' >"$dir/targets"
	local start end
	start=$(date +%s.%N)
	if ! /usr/bin/time -f '%M' -o "$dir/rss" "$dir/bin/imapprobe" --targets "$dir/targets" --parallel "$par" --json \
		--password-file "$dir/pass" --ca-file "$dir/ca.pem" >"$dir/out.jsonl" 2>"$dir/err"; then
		echo "imapprobe batch against $url failed:" >&2
		grep -v '"exit_code":0}$' "$dir/out.jsonl" | head -c 2000 >&2 || true
		cat "$dir/err" >&2
		exit 1
	fi
	end=$(date +%s.%N)
	local ok
	ok=$(grep -c '"exit_code":0}$' "$dir/out.jsonl" || true)
	if [[ $ok != "$n" ]]; then
		echo "imapprobe: only $ok of $n probes OK" >&2
		exit 1
	fi
	echo "$(echo "$end - $start" | bc -l) $(tail -1 "$dir/rss")"
}

echo "warming up" >&2
batch "imaps://$user@127.0.0.1:$tls/INBOX" "$P" 200 >/dev/null

# blackbox_exporter: STARTTLS and LOGIN by query_response, as in its docs
bb=$(freeport)
cat >"$dir/blackbox.yml" <<EOF
modules:
  imap_starttls:
    prober: tcp
    timeout: 10s
    tcp:
      preferred_ip_protocol: ip4
      tls_config:
        ca_file: $dir/ca.pem
        server_name: 127.0.0.1
      query_response:
        - expect: "^\\\\* OK"
        - send: "a1 STARTTLS"
        - expect: "^a1 OK"
        - starttls: true
        - send: "a2 LOGIN $user $pass"
        - expect: "^a2 OK"
        - send: "a3 LOGOUT"
        - expect: "^\\\\* BYE"
EOF
chmod 600 "$dir/blackbox.yml"
"$BLACKBOX" --config.file "$dir/blackbox.yml" --web.listen-address "127.0.0.1:$bb" >"$dir/bb.log" 2>&1 &
pids+=($!)
waitport "$bb"
url="http://127.0.0.1:$bb/probe?module=imap_starttls&target=127.0.0.1:$plain"
"$dir/bin/httpload" -url "$url" -n 200 -c "$P" -want $'\nprobe_success 1\n' >/dev/null
# R interleaved rounds, medians: other load on the machine hits all three alike
tls_rates=() st_rates=() bb_rates=() ratios=()
for r in $(seq "$R"); do
	echo "round $r of $R" >&2
	read -r t rss_p < <(batch "imaps://$user@127.0.0.1:$tls/INBOX" "$P" "$N")
	tls_rates+=("$(echo "$N / $t" | bc -l)")
	read -r t _ < <(batch "imap://$user@127.0.0.1:$plain/INBOX" "$P" "$N")
	st=$(echo "$N / $t" | bc -l)
	st_rates+=("$st")
	b=$("$dir/bin/httpload" -url "$url" -n "$N" -c "$P" -want $'\nprobe_success 1\n')
	bb_rates+=("$b")
	ratios+=("$(echo "$st / $b" | bc -l)")
done
# the same N at --parallel 1: both runs hold N finished outcomes, so the
# difference is what the P-1 extra in-flight probes cost
read -r _ rss_1 < <(batch "imaps://$user@127.0.0.1:$tls/INBOX" 1 "$N")
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

awk -v n="$N" -v p="$P" -v r="$R" -v tlsr="$(median "${tls_rates[@]}")" -v str="$(median "${st_rates[@]}")" \
	-v bb="$(median "${bb_rates[@]}")" -v ratio="$(median "${ratios[@]}")" -v rp="$rss_p" -v r1="$rss_1" 'BEGIN {
	printf "medians of %d rounds of %d probes, %d at once:\n", r, n, p
	printf "imapprobe batch, implicit TLS:      %7.1f probes/s\n", tlsr
	printf "imapprobe batch, STARTTLS:          %7.1f probes/s\n", str
	printf "blackbox_exporter, STARTTLS+LOGIN:  %7.1f probes/s\n", bb
	printf "ratio imapprobe/blackbox (STARTTLS, per round): %.2f\n", ratio
	printf "imapprobe max RSS: %d KiB at --parallel %d, %d KiB at 1: %.1f KiB per in-flight probe\n", rp, p, r1, (rp - r1) / (p - 1)
}'
echo "load average at the end (other work on the machine skews every figure): $(cut -d" " -f1-3 /proc/loadavg), $(nproc) CPUs"
