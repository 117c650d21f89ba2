#!/usr/bin/env bash
# Fetches Cyrus IMAP 3.6 and SASL's tools as Debian packages and extracts
# them, without installing, into a cache directory: cyrus-imapd conflicts
# with dovecot-imapd, which the Dovecot suites need installed. The Cyrus
# launcher (integration/realservers/cyrus.go) runs the binaries from there
# with LD_LIBRARY_PATH. Idempotent: a complete cache is left alone.
# Without root or off Debian it prints how to get it and succeeds, unless
# CI=true.
set -euo pipefail

# Keep in step with DefaultCyrusRoot in cyrus.go.
root=${IMAPPROBE_CYRUS_ROOT:-/var/tmp/imapprobe/cyrus-3.6}
stamp=$root/.complete

say() { echo "cyrus setup: $*" >&2; }

lacking() {
	say "$1"
	if [ "${CI:-}" = true ]; then
		say "CI=true: the Cyrus suites cannot run without it; failing."
		exit 1
	fi
	exit 0
}

# build_shim compiles testdata/cyrus-syslog.c, the LD_PRELOAD shim that gives Cyrus
# a log file, when the tree lacks it or the source is newer. Without a C
# compiler Cyrus still runs, with an empty log.
build_shim() {
	local src shim=$root/imapprobe-syslog.so
	src=$(dirname "$0")/testdata/cyrus-syslog.c
	[ -e "$shim" ] && [ "$shim" -nt "$src" ] && return 0
	if ! command -v cc >/dev/null; then
		say "no C compiler (cc): Cyrus will run without a log; apt-get install gcc to get one"
		return 0
	fi
	[ -w "$root" ] || return 0
	cc -O2 -Wall -shared -fPIC -o "$shim.tmp" "$src" && mv "$shim.tmp" "$shim"
}

if [ -e "$stamp" ]; then
	build_shim
	exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! [ -r /etc/debian_version ] || ! command -v apt-get >/dev/null; then
	lacking "no Cyrus extraction at $root; run integration/realservers/cyrus-setup.sh as root on Debian 12 (it uses apt-get download and dpkg -x; nothing is installed), or set IMAPPROBE_CYRUS_ROOT to such a tree."
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# lib_deps prints the library packages (and db tools) the named packages
# depend on.
lib_deps() {
	apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances "$@" 2>/dev/null |
		awk '$1 ~ /Depends:$/ && $2 ~ /^(lib|db)/ { print $2 }' | sort -u
}

want=(cyrus-imapd cyrus-common sasl2-bin)
# Two levels of library dependencies reach everything Debian 12 lacks on a
# machine with Dovecot installed (libclamav12 pulls libmspack0 and others).
level1=$(lib_deps "${want[@]}")
level2=$(lib_deps $level1)
for p in $level1 $level2; do
	installed "$p" || want+=("$p")
done
mapfile -t want < <(printf '%s\n' "${want[@]}" | sort -u)

parent=$(dirname "$root")
mkdir -p "$parent"
work=$(mktemp -d "$parent/cyrus.XXXXXX")
trap 'rm -rf "$work"' EXIT
say "fetching ${want[*]}"
if ! (cd "$work" && apt-get download -qq "${want[@]}" >"$work/download.log" 2>&1); then
	# Stale lists name versions the mirror no longer has.
	apt-get update -qq
	(cd "$work" && apt-get download -qq "${want[@]}" >"$work/download.log" 2>&1) || {
		tail -n 20 "$work/download.log" >&2
		lacking "apt-get download failed"
	}
fi
mkdir "$work/tree"
for deb in "$work"/*.deb; do
	dpkg -x "$deb" "$work/tree"
done
libs=$work/tree/lib/x86_64-linux-gnu:$work/tree/usr/lib/x86_64-linux-gnu
missing=$(LD_LIBRARY_PATH=$libs ldd "$work/tree/usr/lib/cyrus/bin/master" "$work/tree/usr/lib/cyrus/bin/imapd" \
	"$work/tree/usr/sbin/saslpasswd2" 2>&1 | awk '/not found/ { print $1 }' | sort -u)
if [ -n "$missing" ]; then
	lacking "the extraction lacks libraries: $missing"
fi
rm -rf "$root"
mv "$work/tree" "$root"
touch "$stamp"
rm -rf "$work"
trap - EXIT
build_shim
say "cached $root"
