/* nc_error.c: see nc_error.h. */
#include "netcontinuity/nc_error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int nc_error_set(struct nc_error *err, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	errno = saved;
	return code;
}
