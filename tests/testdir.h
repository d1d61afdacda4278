/*
 * testdir.h: a scratch directory for one Criterion test, made by mkdtemp and
 * removed with everything in it. Tests run in their own processes, so a
 * static template in each test file serves one test at a time.
 */
#ifndef SKYFERRY_TESTS_TESTDIR_H
#define SKYFERRY_TESTS_TESTDIR_H

#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

/* tmpl ends in XXXXXX; it becomes the directory's path. */
static inline void testdir_make(char *tmpl)
{
	cr_assert_not_null(mkdtemp(tmpl), "mkdtemp %s", tmpl);
}

static inline void testdir_remove(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

#endif
