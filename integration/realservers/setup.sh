#!/usr/bin/env bash
# Readies what the Dovecot and real-client integration suites need, so that
# `make test` alone runs them on a fresh Debian machine:
#   - as root on Debian, installs the missing packages with apt-get: Dovecot,
#     and the mail clients isync (mbsync), fetchmail, offlineimap3 and
#     getmail6 that the integration/clients_*_test.go suite runs against the
#     fake server;
#   - builds (once, cached) a Debian bookworm root filesystem with Dovecot 2.3
#     as a tarball, from which the tests import the local container image;
#   - fetches and extracts (not installs) Cyrus IMAP 3.6: cyrus-setup.sh.
# It starts no daemon: the tests start a private dockerd when no container
# engine is reachable, and stop it when they finish.
# Without root it prints how to get the pieces and succeeds, unless CI=true.
set -euo pipefail

# Keep in step with DefaultRootfs in container.go.
rootfs_tar=${IMAPPROBE_DOVECOT_ROOTFS:-/var/tmp/imapprobe/dovecot-2.3-rootfs.tar}
cache_dir=$(dirname "$rootfs_tar")
# Dovecot 2.3 ships with bookworm; later releases carry 2.4, whose
# configuration syntax differs.
suite=bookworm

say() { echo "realservers setup: $*" >&2; }

# lacking reports a missing piece: fatal under CI, advice otherwise.
lacking() {
	say "$1"
	if [ "${CI:-}" = true ]; then
		say "CI=true: the Dovecot and real-client suites cannot run without it; failing."
		exit 1
	fi
}

is_root() { [ "$(id -u)" -eq 0 ]; }
is_debian() { [ -r /etc/debian_version ] && command -v apt-get >/dev/null; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

engine_reachable() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

# debian_mirror prints the URI of the machine's main Debian archive, read from
# its apt sources so that no host name lives in the repository.
debian_mirror() {
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Identifier: Packages' 2>/dev/null |
		awk '$2 ~ /^[a-z]+$/ && $3 == "main" { print $1; exit }'
}

install_packages() {
	local want=(dovecot-core dovecot-imapd)
	want+=(chromium) # the browser tests (integration/browser_*_test.go)
	# The real-client suite (integration/clients_*_test.go).
	want+=(isync fetchmail offlineimap3 getmail6) # the last two: 366 kB with python3-imaplib2
	want+=(libxml2-utils monitoring-plugins-standard) # xmllint for the --junit schema, check_imap for --format nagios (cmd/imapprobe)
	want+=(prometheus) # integration/prometheus_test.go: prometheus and promtool
	# A reachable engine (or another dockerd) makes docker.io unnecessary;
	# installing it beside docker-ce would conflict.
	if ! engine_reachable && ! command -v dockerd >/dev/null; then want+=(docker.io); fi
	if [ ! -s "$rootfs_tar" ] && [ -z "${IMAPPROBE_DOVECOT_IMAGE:-}" ]; then want+=(debootstrap); fi
	local missing=()
	for p in "${want[@]}"; do installed "$p" || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	if ! is_root || ! is_debian; then
		lacking "missing packages: ${missing[*]}; install them (Debian: sudo apt-get install ${missing[*]}) or run 'make test' as root on Debian."
		return 0
	fi
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
	# Keep apt from starting the system Dovecot and dockerd: the suites run
	# their own, and nothing may be left running.
	local guard=/usr/sbin/policy-rc.d
	if [ ! -e "$guard" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$guard"
		chmod 755 "$guard"
		trap "rm -f '$guard'; trap - RETURN" RETURN
	fi
	apt-get update -qq
	# debootstrap first, so that the root filesystem (a minute or more,
	# into a tree of its own) builds while apt installs the rest.
	if [[ " ${missing[*]} " == *" debootstrap "* ]]; then
		apt-get install -y -qq debootstrap >/dev/null
		mapfile -t missing < <(printf '%s\n' "${missing[@]}" | grep -vx debootstrap || true)
		build_rootfs &
		rootfs_pid=$!
	fi
	[ ${#missing[@]} -eq 0 ] && return 0
	# With recommends: docker.io recommends apparmor, which runc needs on
	# kernels with AppArmor enabled.
	apt-get install -y -qq "${missing[@]}" >/dev/null
}

build_rootfs() {
	[ -s "$rootfs_tar" ] && return 0
	# A chosen image (e.g. a pullable public one) needs no local build.
	[ -n "${IMAPPROBE_DOVECOT_IMAGE:-}" ] && return 0
	if ! is_root || ! command -v debootstrap >/dev/null; then
		lacking "no Dovecot image root filesystem at $rootfs_tar; run this script as root on Debian (it uses debootstrap), or set IMAPPROBE_DOVECOT_IMAGE to a pullable Dovecot 2.3 image (e.g. dovecot/dovecot:2.3-latest)."
		return 0
	fi
	local mirror
	mirror=$(debian_mirror)
	if [ -z "$mirror" ]; then
		lacking "cannot find a Debian mirror in the apt sources (apt-get indextargets); add one to /etc/apt/sources.list."
		return 0
	fi
	mkdir -p "$cache_dir"
	local work
	work=$(mktemp -d "$cache_dir/rootfs.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	say "building the Dovecot 2.3 root filesystem ($suite from $mirror); about a minute"
	debootstrap --variant=minbase --include=dovecot-core,dovecot-imapd \
		"$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
		tail -n 20 "$work/debootstrap.log" >&2
		lacking "debootstrap failed"
		return 0
	}
	rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
	tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
	mv "$work/rootfs.tar" "$rootfs_tar"
	rm -rf "$work"
	trap - EXIT
	say "cached $rootfs_tar"
}

rootfs_pid=
install_packages
# A failed build in the background fails the script, as in the foreground.
if [ -n "$rootfs_pid" ]; then wait "$rootfs_pid"; else build_rootfs; fi
# Cyrus IMAP 3.6, extracted rather than installed (it conflicts with Dovecot).
"$(dirname "$0")/cyrus-setup.sh"
