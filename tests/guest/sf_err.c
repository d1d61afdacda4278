/* Error object for the guest and lab tools. */
#include <stdarg.h>
#include <stdio.h>

#include "sf_err.h"

void sf_err_set(struct sf_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}
