#!/bin/sh
# Regenerates dovecot_list.txt: Dovecot's replies to LIST and LSUB, for
# TestListMatchesDovecot. It runs Dovecot's imap binary in PREAUTH mode on
# stdin (no network, no auth), as root, with the mailboxes of the fake's
# default seed plus Restricted and "Projekte/Entwürfe" (without a
# "Projekte"), and the special-use attributes the fake gives them.
# Usage: sudo sh dovecot_list.sh > dovecot_list.txt
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/dovecot.conf" <<CONF
base_dir = $dir/run
state_dir = $dir/state
log_path = /dev/null
mail_location = maildir:$dir/mail/%u
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Archive {
    special_use = \\Archive
  }
  mailbox Drafts {
    special_use = \\Drafts
  }
  mailbox Trash {
    special_use = \\Trash
  }
  mailbox Junk {
    special_use = \\Junk
  }
}
CONF
mkdir -p "$dir/mail"
chown -R nobody:nogroup "$dir"
script='a LIST "" *
b LIST "" %
c LIST "" Archive/%
d LIST "" * RETURN (CHILDREN)
e LIST (SPECIAL-USE) "" *
f LIST "" * RETURN (SPECIAL-USE)
g LIST (SPECIAL-USE) "" * RETURN (CHILDREN)
h SUBSCRIBE Sent
i SUBSCRIBE Archive/2025
j LIST "" * RETURN (SUBSCRIBED)
k LIST "" * RETURN (CHILDREN SPECIAL-USE SUBSCRIBED)
l LIST (SUBSCRIBED) "" *
m LSUB "" *
n LIST "" Projekte/*
o LIST "" INBOX
p CAPABILITY'
{
	n=0
	for mb in Sent Archive Archive/2025 Drafts Trash Junk Restricted '"Projekte/Entw&APw-rfe"'; do
		n=$((n + 1))
		printf 's%d CREATE %s\r\n' "$n" "$mb"
	done
	printf '%s\n' "$script" | sed 's/$/\r/'
	printf 'z LOGOUT\r\n'
	sleep 1
} | env USER=alice HOME="$dir/mail/alice" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	/usr/lib/dovecot/imap -c "$dir/dovecot.conf" 2>/dev/null | tr -d '\r' > "$dir/out"
echo "# Dovecot $(dovecot --version)"
printf '%s\n' "$script" | while IFS= read -r cmd; do
	tag=${cmd%% *}
	echo "C: $cmd"
	# The replies between the previous tagged line and this one.
	awk -v tag="$tag" '
		$1 != "*" { if ($1 == tag) { printf "%s", buf; print "S: " $0; exit }; buf = ""; next }
		{ buf = buf "S: " $0 "\n" }
	' "$dir/out"
done | sed -E 's/\([0-9]+\.[0-9]+( \+ [0-9]+\.[0-9]+)+ secs\)/(T secs)/'
