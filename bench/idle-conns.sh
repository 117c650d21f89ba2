#!/bin/sh
# Measures the fake IMAP server's memory at N idle, logged-in connections:
#   bench/idle-conns.sh [N] [-- idleconns flags]
# e.g. bench/idle-conns.sh 10000, or bench/idle-conns.sh 10000 -mode plaintext,
# or -server bare for go-imap's imapserver alone. The server runs in a child
# process, so the clients' memory is not counted. Fails if fewer than N
# connections logged in. BASE=REV also measures the fake at git revision
# REV first, in the same run, for before/after figures:
#   BASE=8ebe903 bench/idle-conns.sh 10000
set -eu
cd "$(dirname "$0")/.."
n=${1:-10000}
[ $# -gt 0 ] && shift
# Each side holds N sockets.
want=$((n + 256))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
	ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
	echo "idle-conns: FAIL: need $want open files, the limit is $(ulimit -n) (hard $(ulimit -Hn))" >&2
	exit 1
fi
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
if [ -n "${BASE:-}" ]; then
	mkdir -p "$bin/base"
	git archive "$BASE" | tar -x -C "$bin/base"
	(cd "$bin/base" && ${GO:-go} build -o "$bin/idleconns-base" ./bench/idleconns)
	echo "== the fake at $BASE"
	"$bin/idleconns-base" -n "$n" "$@"
	echo "== the fake at the work tree"
fi
${GO:-go} build -o "$bin/idleconns" ./bench/idleconns
"$bin/idleconns" -n "$n" "$@"
