#!/usr/bin/env bash
# Fleet speed of imapprobe's batch mode, side by side with Debian's
# prometheus-blackbox-exporter, against one cmd/fakeimapd on loopback.
#
# imapprobe: `--targets FILE --parallel P --json` with N copies of the
# target, each a full session (TLS, login, LIST, EXAMINE, FETCH, LOGOUT),
# over implicit TLS and over STARTTLS. blackbox_exporter: a tcp module
# doing STARTTLS and LOGIN by query_response, driven by bench/httpload with
# N /probe requests, P at a time: the same concurrency. R rounds (default
# 7) each run imapprobe then blackbox, so that load from elsewhere on the
# machine hits both sides of a pair alike; the script prints the median
# and the range of each rate and of the per-round ratio imapprobe
# (STARTTLS) / blackbox.
#
# RSS per in-flight probe: (max RSS of a batch at --parallel P - max RSS of
# one at --parallel 1) / (P - 1), both holding the same N outcomes; the
# medians of the R runs at P and of R1 (default 3) runs at 1.
#
# BASE=REV also measures imapprobe at git revision REV, in the same rounds
# (its batches run just before the work tree's), for before/after figures.
# Exits nonzero, printing no figure, if any probe is not OK.
#   bench/batch-vs-blackbox.sh     N=4000 P=128 R=9 BASE=HEAD~3 bench/batch-vs-blackbox.sh
# The password is random, kept in files, and never printed.
set -euo pipefail

N=${N:-2000}
P=${P:-64}
R=${R:-7}
R1=${R1:-3}
BLACKBOX=${BLACKBOX:-/usr/bin/prometheus-blackbox-exporter}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/bvb.XXXXXX)
# shellcheck source=lib.sh
. "$root/bench/lib.sh"

if [[ ! -x $BLACKBOX ]]; then
	echo "no $BLACKBOX: apt-get install prometheus-blackbox-exporter (or set BLACKBOX=path)" >&2
	exit 1
fi
waitport() {
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "nothing listens on 127.0.0.1:$1" >&2
	return 1
}
load_start=$(cut -d" " -f1-3 /proc/loadavg)

echo "building imapprobe, fakeimapd, httpload" >&2
(cd "$root" && CGO_ENABLED=0 go build -o "$dir/bin/" ./cmd/imapprobe ./cmd/fakeimapd ./bench/httpload)
builds=(work)
if [[ -n ${BASE:-} ]]; then
	echo "building imapprobe at $BASE" >&2
	mkdir -p "$dir/base"
	(cd "$root" && git archive "$BASE") | tar -x -C "$dir/base"
	(cd "$dir/base" && CGO_ENABLED=0 go build -o "$dir/base-bin/" ./cmd/imapprobe)
	builds=(base work)
fi
exe() { if [[ $1 == base ]]; then echo "$dir/base-bin/imapprobe"; else echo "$dir/bin/imapprobe"; fi; }

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

# batch BUILD URL PARALLEL N: runs the batch; prints "probes/s maxrss_kib"
batch() {
	local bin url=$2 par=$3 n=$4
	bin=$(exe "$1")
	awk -v u="$url" -v n="$n" 'BEGIN { for (i = 0; i < n; i++) print u }' >"$dir/targets"
	local start end
	start=$(date +%s.%N)
	if ! /usr/bin/time -f '%M' -o "$dir/rss" "$bin" --targets "$dir/targets" --parallel "$par" --json \
		--password-file "$dir/pass" --ca-file "$dir/ca.pem" >"$dir/out.jsonl" 2>"$dir/err"; then
		echo "imapprobe ($1) batch against $url failed:" >&2
		grep -v '"exit_code":0}$' "$dir/out.jsonl" | head -c 2000 >&2 || true
		cat "$dir/err" >&2
		exit 1
	fi
	end=$(date +%s.%N)
	local ok
	ok=$(grep -c '"exit_code":0}$' "$dir/out.jsonl" || true)
	if [[ $ok != "$n" ]]; then
		echo "imapprobe ($1): only $ok of $n probes OK" >&2
		exit 1
	fi
	echo "$(echo "$n / ($end - $start)" | bc -l) $(tail -1 "$dir/rss")"
}
tlsurl="imaps://$user@127.0.0.1:$tls/INBOX"
sturl="imap://$user@127.0.0.1:$plain/INBOX"

echo "warming up" >&2
for b in "${builds[@]}"; do batch "$b" "$tlsurl" "$P" 200 >/dev/null; done

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
bburl="http://127.0.0.1:$bb/probe?module=imap_starttls&target=127.0.0.1:$plain"
blackbox() { "$dir/bin/httpload" -url "$bburl" -n "$1" -c "$P" -want $'\nprobe_success 1\n'; }
blackbox 200 >/dev/null

# figures are kept one a line in files named after what they measure
for r in $(seq "$R"); do
	echo "round $r of $R" >&2
	for b in "${builds[@]}"; do
		read -r rate rss < <(batch "$b" "$tlsurl" "$P" "$N")
		echo "$rate" >>"$dir/$b.tls"
		echo "$rss" >>"$dir/$b.rssP"
		read -r rate _ < <(batch "$b" "$sturl" "$P" "$N")
		echo "$rate" >>"$dir/$b.st"
	done
	rate=$(blackbox "$N")
	echo "$rate" >>"$dir/bb"
	for b in "${builds[@]}"; do
		echo "$(tail -1 "$dir/$b.st") / $rate" | bc -l >>"$dir/$b.ratio"
	done
done
# the same N at --parallel 1: both runs hold N finished outcomes, so the
# difference is what the P-1 extra in-flight probes cost
for r in $(seq "$R1"); do
	echo "--parallel 1, run $r of $R1" >&2
	for b in "${builds[@]}"; do
		read -r _ rss < <(batch "$b" "$tlsurl" 1 "$N")
		echo "$rss" >>"$dir/$b.rss1"
	done
done

# stat FILE: "median (min-max)" of its figures
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
stat() { sort -g "$1" | awk -v m="$(median "$1")" -v f="$2" '{ v[NR] = $1 } END { printf f " (" f "-" f ")", m, v[1], v[NR] }'; }

echo "medians (and ranges) of $R rounds of $N probes, $P at once:"
for b in "${builds[@]}"; do
	name="imapprobe"
	if [[ $b == base ]]; then name="imapprobe at $BASE"; elif [[ -n ${BASE:-} ]]; then name="imapprobe (work tree)"; fi
	echo "$name batch, implicit TLS: $(stat "$dir/$b.tls" %.1f) probes/s"
	echo "$name batch, STARTTLS:     $(stat "$dir/$b.st" %.1f) probes/s"
	echo "$name / blackbox (STARTTLS, per round): $(stat "$dir/$b.ratio" %.2f)"
	awk -v p="$P" -v rp="$(median "$dir/$b.rssP")" -v r1="$(median "$dir/$b.rss1")" -v sp="$(stat "$dir/$b.rssP" %d)" -v s1="$(stat "$dir/$b.rss1" %d)" -v name="$name" 'BEGIN {
		printf "%s max RSS: %s KiB at --parallel %d, %s KiB at 1: %.1f KiB per in-flight probe\n", name, sp, p, s1, (rp - r1) / (p - 1)
	}'
done
echo "blackbox_exporter, STARTTLS+LOGIN: $(stat "$dir/bb" %.1f) probes/s"
echo "load average at the start $load_start, at the end $(cut -d" " -f1-3 /proc/loadavg), $(nproc) CPUs (other work on the machine skews every figure)"
