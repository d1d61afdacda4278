/* One-write-per-line console output: see sf_console.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "sf_console.h"

#define SF_CONSOLE_LINE_MAX 512

int sf_console_printf(int fd, const char *fmt, ...)
{
	char line[SF_CONSOLE_LINE_MAX];
	size_t len, done = 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	while (done < len) {
		ssize_t w = write(fd, line + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += (size_t)w;
	}
	return 0;
}
