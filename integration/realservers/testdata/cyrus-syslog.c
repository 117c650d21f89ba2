/* An LD_PRELOAD shim that appends syslog messages to the file named by
 * IMAPPROBE_SYSLOG_FILE: Cyrus logs only through syslog, and the machines
 * the suites run on have no /dev/log. cyrus-setup.sh builds it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static char ident[64] = "cyrus";

void openlog(const char *id, int option, int facility) {
	(void)option;
	(void)facility;
	if (id)
		snprintf(ident, sizeof ident, "%s", id);
}

void closelog(void) {}

void vsyslog(int priority, const char *format, va_list ap) {
	const char *path = getenv("IMAPPROBE_SYSLOG_FILE");
	char buf[8192];
	int n, fd;

	(void)priority;
	if (!path)
		return;
	n = snprintf(buf, sizeof buf, "%s[%d]: ", ident, (int)getpid());
	if (n < 0 || n >= (int)sizeof buf - 1)
		return;
	/* glibc's vsnprintf expands %m, as syslog does. */
	vsnprintf(buf + n, sizeof buf - n - 1, format, ap);
	n = strlen(buf);
	buf[n++] = '\n';
	/* One write per line with O_APPEND keeps processes' lines whole. */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, buf, n) < 0) {
		/* nowhere to report it */
	}
	close(fd);
}

void syslog(int priority, const char *format, ...) {
	va_list ap;
	va_start(ap, format);
	vsyslog(priority, format, ap);
	va_end(ap);
}

/* Debian builds with _FORTIFY_SOURCE, which calls these instead. */
void __vsyslog_chk(int priority, int flag, const char *format, va_list ap) {
	(void)flag;
	vsyslog(priority, format, ap);
}

void __syslog_chk(int priority, int flag, const char *format, ...) {
	va_list ap;
	(void)flag;
	va_start(ap, format);
	vsyslog(priority, format, ap);
	va_end(ap);
}
