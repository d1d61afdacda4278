/*
 * hv_test_text.h: text helpers for the hypervisor tests: read a test data
 * file whole, and build a text with printf. Failures end the test.
 */
#ifndef SKYFERRY_TESTS_HV_TEST_TEXT_H
#define SKYFERRY_TESTS_HV_TEST_TEXT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

/* A whole file, NUL-terminated; *len (if set) without the NUL. */
static inline char *hv_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	cr_assert_not_null(f, "open %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	cr_assert_geq(size, 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)size;
	return buf;
}

static inline void hv_test_add(char **text, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append printf output to a growing text (*text NULL: a new one). */
static inline void hv_test_add(char **text, const char *fmt, ...)
{
	size_t old = *text ? strlen(*text) : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	*text = realloc(*text, old + (size_t)n + 1);
	cr_assert_not_null(*text);
	va_start(ap, fmt);
	vsnprintf(*text + old, (size_t)n + 1, fmt, ap);
	va_end(ap);
}

#endif
