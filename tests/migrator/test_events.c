/*
 * Progress output: pinned renderings, JSON lines parsed back with jansson,
 * the TTY and PLAIN streams byte for byte, QUIET silence, latched errors.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrator/events.h"

/* A memory stream and what it holds. */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static void capture_open(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->buf, &c->len);
	cr_assert_not_null(c->f);
}

static void capture_close(struct capture *c)
{
	fclose(c->f);
	free(c->buf);
}

/* 42 % done, 240 ms to switch now against a 300 ms limit, ETA 83 s. */
static void fixed_progress(struct mig_prediction *pred, struct mig_sample *s)
{
	memset(pred, 0, sizeof(*pred));
	memset(s, 0, sizeof(*s));
	pred->known = true;
	pred->converge_s = 82.7;
	pred->downtime_ms = 240;
	pred->rate_bps = 25e6;
	pred->dirty_bps = 3e6;
	pred->eta_s = 83.04;
	pred->percent = 42.04;
	pred->phase = "memory";
	s->t_ms = 10000;
	s->mem_total = 1000000000;
	s->mem_remaining = 580000000;
	s->mem_iteration = 3;
	s->downtime_limit_ms = 300;
}

/* A migration of 4.2 GB in 83.2 s with 212 ms of downtime. */
static const struct mig_result fixed_result = {
	.downtime_ms = 212,
	.total_ms = 83200,
	.raw_bytes = 4200000000,
	.wire_bytes = 1900000000,
	.compression = 2.2105,
	.source_host = "east",
	.dest_host = "west",
	.source_undefined = true,
	.dest_persistent = true,
	.mem_bytes = 1100000000,
	.disk_bytes = 3100000000,
};

Test(events, bar)
{
	char buf[64];

	cr_assert_eq(mig_events_render_bar(buf, sizeof(buf), 42, 10), 12);
	cr_assert_str_eq(buf, "[####------]");
	mig_events_render_bar(buf, sizeof(buf), 0, 4);
	cr_assert_str_eq(buf, "[----]");
	mig_events_render_bar(buf, sizeof(buf), 99.9, 4);
	cr_assert_str_eq(buf, "[###-]");
	mig_events_render_bar(buf, sizeof(buf), 100, 4);
	cr_assert_str_eq(buf, "[####]");
	mig_events_render_bar(buf, sizeof(buf), 250, 4);
	cr_assert_str_eq(buf, "[####]");
	mig_events_render_bar(buf, sizeof(buf), -3, 4);
	cr_assert_str_eq(buf, "[----]");
	mig_events_render_bar(buf, sizeof(buf), NAN, 4);
	cr_assert_str_eq(buf, "[----]");
	/* Cut like snprintf. */
	cr_assert_eq(mig_events_render_bar(buf, 5, 50, 10), 12);
	cr_assert_str_eq(buf, "[###");
}

Test(events, duration_and_bytes)
{
	char buf[32];

	mig_events_render_duration(buf, sizeof(buf), 83.04, true);
	cr_assert_str_eq(buf, "1:23");
	mig_events_render_duration(buf, sizeof(buf), 59.6, true);
	cr_assert_str_eq(buf, "1:00");
	mig_events_render_duration(buf, sizeof(buf), 3723, true);
	cr_assert_str_eq(buf, "1:02:03");
	mig_events_render_duration(buf, sizeof(buf), 400000, true);
	cr_assert_str_eq(buf, ">99h");
	mig_events_render_duration(buf, sizeof(buf), -1, true);
	cr_assert_str_eq(buf, "never");
	mig_events_render_duration(buf, sizeof(buf), 10, false);
	cr_assert_str_eq(buf, "?");

	mig_events_render_bytes(buf, sizeof(buf), 4213000000);
	cr_assert_str_eq(buf, "4.2 GB");
	mig_events_render_bytes(buf, sizeof(buf), 812000000);
	cr_assert_str_eq(buf, "812.0 MB");
	mig_events_render_bytes(buf, sizeof(buf), 12000);
	cr_assert_str_eq(buf, "12.0 kB");
	mig_events_render_bytes(buf, sizeof(buf), 512);
	cr_assert_str_eq(buf, "512 B");
}

Test(events, progress_line)
{
	struct mig_prediction pred;
	struct mig_sample s;
	char buf[128];
	int n;

	fixed_progress(&pred, &s);
	n = mig_events_render_progress(buf, sizeof(buf), &pred, &s, 2.14,
	                               11800000, MIG_EVENTS_BAR_WIDTH);
	cr_assert_str_eq(buf, "memory     [####------]  42.0%   94.4 Mb/s "
	                      "x2.14 ETA 1:23 down 240/300 ms");
	cr_assert_eq(n, (int)strlen(buf));
	cr_assert_lt(n, 80);

	/* No bar; no wire rate: the raw rate; no ratio; not measured. */
	pred.known = false;
	mig_events_render_progress(buf, sizeof(buf), &pred, &s, 0, 0, 0);
	cr_assert_str_eq(buf, "memory      42.0%  200.0 Mb/s x- ETA ? "
	                      "down ?/300 ms");

	/* Never converges. */
	pred.known = true;
	pred.eta_s = -1;
	pred.phase = "switchover";
	mig_events_render_progress(buf, sizeof(buf), &pred, &s, 1, 1000000,
	                           MIG_EVENTS_BAR_WIDTH);
	cr_assert_str_eq(buf, "switchover [####------]  42.0%    8.0 Mb/s "
	                      "x1.00 ETA never down 240/300 ms");
}

Test(events, timestamp)
{
	struct timespec ts = { .tv_sec = 1714566896, .tv_nsec = 789999999 };
	char buf[40];

	cr_assert_eq(mig_events_render_ts(buf, sizeof(buf), &ts), 24);
	cr_assert_str_eq(buf, "2024-05-01T12:34:56.789Z");
	ts.tv_sec = 0;
	ts.tv_nsec = 1000000;
	mig_events_render_ts(buf, sizeof(buf), &ts);
	cr_assert_str_eq(buf, "1970-01-01T00:00:00.001Z");
}

/* Parse line `n` (0-based) of text as a JSON object of event `event`. */
static json_t *json_line(const char *text, unsigned n, const char *event)
{
	const char *line = text, *end;
	char *copy;
	json_t *o;
	json_error_t jerr;
	regex_t re;

	while (n--) {
		line = strchr(line, '\n');
		cr_assert_not_null(line, "too few lines in:\n%s", text);
		line++;
	}
	end = strchr(line, '\n');
	cr_assert_not_null(end, "no newline after line in:\n%s", text);
	copy = strndup(line, end - line);
	o = json_loads(copy, 0, &jerr);
	cr_assert_not_null(o, "bad JSON '%s': %s", copy, jerr.text);
	free(copy);
	cr_assert(json_is_object(o));
	cr_assert_str_eq(json_string_value(json_object_get(o, "event")), event);
	cr_assert_str_eq(json_string_value(json_object_get(o, "domain")),
	                 "web1");
	cr_assert_eq(regcomp(&re,
	                     "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
	                     "[0-9]{2}\\.[0-9]{3}Z$",
	                     REG_EXTENDED | REG_NOSUB),
	             0);
	cr_assert_eq(regexec(&re, json_string_value(json_object_get(o, "ts")),
	                     0, NULL, 0),
	             0, "bad ts");
	regfree(&re);
	return o;
}

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_integer(v), "%s is not an integer", key);
	return json_integer_value(v);
}

static double jreal(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_number(v), "%s is not a number", key);
	return json_number_value(v);
}

Test(events, json_lines)
{
	struct capture c;
	struct mig_events *ev;
	struct mig_prediction pred;
	struct mig_sample s;
	json_t *o;

	capture_open(&c);
	ev = mig_events_new(c.f, MIG_EVENTS_JSON, "web1");
	cr_assert_not_null(ev);
	fixed_progress(&pred, &s);
	mig_events_progress(ev, &pred, &s, 2.14, 11800000);
	pred.known = false;
	mig_events_progress(ev, &pred, &s, 0, 0);
	mig_events_switchover(ev, 83500);
	mig_events_completed(ev, &fixed_result);
	mig_events_failed(ev, "will not converge", "source (east, running)", 1);
	mig_events_log(ev, "warn", "raising downtime to %d ms", 450);
	cr_assert_eq(mig_events_error(ev), 0);
	mig_events_free(ev);
	fflush(c.f);

	o = json_line(c.buf, 0, "progress");
	cr_assert_str_eq(json_string_value(json_object_get(o, "phase")),
	                 "memory");
	cr_assert_float_eq(jreal(o, "percent"), 42.0, 1e-9);
	cr_assert_eq(jint(o, "mem_total"), 1000000000);
	cr_assert_eq(jint(o, "mem_remaining"), 580000000);
	cr_assert_eq(jint(o, "disk_total"), 0);
	cr_assert_eq(jint(o, "disk_remaining"), 0);
	cr_assert_eq(jint(o, "iteration"), 3);
	cr_assert_eq(jint(o, "rate_bps"), 25000000);
	cr_assert_eq(jint(o, "wire_bps"), 11800000);
	cr_assert_eq(jint(o, "dirty_bps"), 3000000);
	cr_assert_float_eq(jreal(o, "compression"), 2.14, 1e-9);
	cr_assert_float_eq(jreal(o, "eta_s"), 83.0, 1e-9);
	cr_assert_float_eq(jreal(o, "converge_s"), 82.7, 1e-9);
	cr_assert_eq(jint(o, "predicted_downtime_ms"), 240);
	cr_assert_eq(jint(o, "downtime_limit_ms"), 300);
	json_decref(o);

	o = json_line(c.buf, 1, "progress");
	cr_assert(json_is_null(json_object_get(o, "eta_s")));
	cr_assert(json_is_null(json_object_get(o, "converge_s")));
	cr_assert(json_is_null(json_object_get(o, "predicted_downtime_ms")));
	cr_assert(json_is_null(json_object_get(o, "compression")));
	json_decref(o);

	o = json_line(c.buf, 2, "switchover");
	cr_assert_eq(jint(o, "elapsed_ms"), 83500);
	json_decref(o);

	o = json_line(c.buf, 3, "completed");
	cr_assert_eq(jint(o, "downtime_ms"), 212);
	cr_assert_eq(jint(o, "total_ms"), 83200);
	cr_assert_eq(jint(o, "raw_bytes"), 4200000000);
	cr_assert_eq(jint(o, "wire_bytes"), 1900000000);
	cr_assert_float_eq(jreal(o, "compression"), 2.21, 1e-9);
	cr_assert_eq(jint(o, "mem_bytes"), 1100000000);
	cr_assert_eq(jint(o, "disk_bytes"), 3100000000);
	cr_assert_str_eq(json_string_value(json_object_get(o, "source_host")),
	                 "east");
	cr_assert_str_eq(json_string_value(json_object_get(o, "dest_host")),
	                 "west");
	cr_assert(json_is_true(json_object_get(o, "source_undefined")));
	cr_assert(json_is_true(json_object_get(o, "dest_persistent")));
	json_decref(o);

	o = json_line(c.buf, 4, "failed");
	cr_assert_str_eq(json_string_value(json_object_get(o, "reason")),
	                 "will not converge");
	cr_assert_str_eq(json_string_value(json_object_get(o, "vm_runs_at")),
	                 "source (east, running)");
	cr_assert_eq(jint(o, "exit_code"), 1);
	json_decref(o);

	o = json_line(c.buf, 5, "log");
	cr_assert_str_eq(json_string_value(json_object_get(o, "level")),
	                 "warn");
	cr_assert_str_eq(json_string_value(json_object_get(o, "message")),
	                 "raising downtime to 450 ms");
	json_decref(o);
	cr_assert_null(strchr(strchr(strstr(c.buf, "\"log\""), '\n') + 1, '\n'),
	               "more than six lines");
	capture_close(&c);
}

Test(events, json_survives_bad_utf8)
{
	struct capture c;
	struct mig_events *ev;
	json_t *o;

	capture_open(&c);
	ev = mig_events_new(c.f, MIG_EVENTS_JSON, "web1");
	mig_events_failed(ev, "disk \xff\xfe gone", NULL, 1);
	cr_assert_eq(mig_events_error(ev), 0);
	mig_events_free(ev);
	fflush(c.f);
	o = json_line(c.buf, 0, "failed");
	cr_assert_str_eq(json_string_value(json_object_get(o, "reason")),
	                 "disk ?? gone");
	cr_assert(json_is_null(json_object_get(o, "vm_runs_at")));
	json_decref(o);
	capture_close(&c);
}

Test(events, tty_redraws_one_line)
{
	struct capture c;
	struct mig_events *ev;
	struct mig_prediction pred;
	struct mig_sample s;
	char line[128], want[512];

	capture_open(&c);
	ev = mig_events_new(c.f, MIG_EVENTS_TTY, "web1");
	fixed_progress(&pred, &s);
	mig_events_render_progress(line, sizeof(line), &pred, &s, 2.14,
	                           11800000, MIG_EVENTS_BAR_WIDTH);
	mig_events_progress(ev, &pred, &s, 2.14, 11800000);
	mig_events_progress(ev, &pred, &s, 2.14, 11800000);
	mig_events_log(ev, "warn", "slow link");
	mig_events_progress(ev, &pred, &s, 2.14, 11800000);
	mig_events_free(ev);
	fflush(c.f);
	snprintf(want, sizeof(want),
	         "\r%s\033[K\r%s\033[K\nweb1: warn: slow link\n\r%s\033[K\n",
	         line, line, line);
	cr_assert_str_eq(c.buf, want);
	capture_close(&c);
}

Test(events, tty_messages)
{
	struct capture c;
	struct mig_events *ev;
	struct mig_prediction pred;
	struct mig_sample s;
	const char *rest;

	capture_open(&c);
	ev = mig_events_new(c.f, MIG_EVENTS_TTY, "web1");
	fixed_progress(&pred, &s);
	mig_events_progress(ev, &pred, &s, 2.14, 11800000);
	mig_events_switchover(ev, 83500);
	mig_events_completed(ev, &fixed_result);
	mig_events_failed(ev, "peer gone", "source (east, running)", 1);
	mig_events_free(ev);
	fflush(c.f);
	rest = strstr(c.buf, "\033[K\n");
	cr_assert_not_null(rest, "%s", c.buf);
	cr_assert_str_eq(
	    rest + 4,
	    "web1: switching over after 83.5 s\n"
	    "web1: migrated from east to west in 83.2 s, downtime 212 ms\n"
	    "web1: moved 4.2 GB (memory 1.1 GB, disks 3.1 GB) as 1.9 GB "
	    "on the wire (x2.21)\n"
	    "web1: destination persistent, source undefined\n"
	    "web1: migration failed: peer gone\n"
	    "web1: the VM runs at the source (east, running)\n");
	capture_close(&c);
}

Test(events, plain_every_five_seconds)
{
	struct capture c;
	struct mig_events *ev;
	struct mig_prediction pred;
	struct mig_sample s;
	uint64_t t[] = { 0, 1000, 4999, 5000, 9000, 9999, 10000 };
	char line[128], want[512];
	size_t i;

	capture_open(&c);
	ev = mig_events_new(c.f, MIG_EVENTS_PLAIN, "web1");
	fixed_progress(&pred, &s);
	mig_events_render_progress(line, sizeof(line), &pred, &s, 2.14,
	                           11800000, 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		s.t_ms = t[i];
		mig_events_progress(ev, &pred, &s, 2.14, 11800000);
	}
	mig_events_free(ev);
	fflush(c.f);
	snprintf(want, sizeof(want), "web1: %s\nweb1: %s\nweb1: %s\n", line,
	         line, line);
	cr_assert_str_eq(c.buf, want);
	cr_assert_null(strchr(c.buf, '\r'));
	capture_close(&c);
}

Test(events, quiet_prints_nothing)
{
	struct capture c;
	struct mig_events *ev;
	struct mig_prediction pred;
	struct mig_sample s;

	capture_open(&c);
	ev = mig_events_new(c.f, MIG_EVENTS_QUIET, "web1");
	cr_assert_not_null(ev);
	fixed_progress(&pred, &s);
	mig_events_progress(ev, &pred, &s, 2.14, 11800000);
	mig_events_switchover(ev, 20000);
	mig_events_completed(ev, &fixed_result);
	mig_events_failed(ev, "x", "source", 1);
	mig_events_log(ev, "error", "x");
	mig_events_free(ev);
	fflush(c.f);
	cr_assert_eq(c.len, 0, "printed: %s", c.buf);
	capture_close(&c);
}

/* A stream whose writes fail with ENOSPC while `fail` > 0, then succeed. */
struct faulty {
	int fail;
	size_t kept;
};

static ssize_t faulty_write(void *cookie, const char *buf, size_t size)
{
	struct faulty *f = cookie;

	(void)buf;
	if (f->fail > 0) {
		f->fail--;
		errno = ENOSPC;
		return -1;
	}
	f->kept += size;
	return (ssize_t)size;
}

Test(events, write_error_is_latched)
{
	char small[16];
	struct faulty fault = { .fail = 1000 };
	cookie_io_functions_t io = { .write = faulty_write };
	struct mig_prediction pred;
	struct mig_sample s;
	FILE *f;
	struct mig_events *ev;

	/* Full: the first JSON line does not fit. */
	f = fmemopen(small, sizeof(small), "w");
	cr_assert_not_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	ev = mig_events_new(f, MIG_EVENTS_JSON, "web1");
	mig_events_log(ev, "info", "a line longer than sixteen bytes");
	cr_assert_lt(mig_events_error(ev), 0);
	mig_events_free(ev);
	fclose(f);

	/* A failed event: its error stays; after it nothing is written. */
	f = fopencookie(&fault, "w", io);
	cr_assert_not_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	ev = mig_events_new(f, MIG_EVENTS_TTY, "web1");
	fixed_progress(&pred, &s);
	mig_events_progress(ev, &pred, &s, 2.14, 11800000);
	cr_assert_eq(mig_events_error(ev), -ENOSPC);
	fault.fail = 0;
	fault.kept = 0;
	clearerr(f);
	mig_events_log(ev, "info", "again");
	mig_events_progress(ev, &pred, &s, 2.14, 11800000);
	mig_events_free(ev);
	cr_assert_eq(fault.kept, 0, "wrote %zu bytes after the error",
	             fault.kept);
	fclose(f);
}

static void *no_malloc(size_t size)
{
	(void)size;
	return NULL;
}

Test(events, json_out_of_memory_is_latched)
{
	struct capture c;
	struct mig_events *ev;

	capture_open(&c);
	ev = mig_events_new(c.f, MIG_EVENTS_JSON, "web1");
	json_set_alloc_funcs(no_malloc, free);
	mig_events_failed(ev, "peer gone", "source", 1);
	json_set_alloc_funcs(malloc, free);
	cr_assert_eq(mig_events_error(ev), -ENOMEM);
	mig_events_log(ev, "info", "after");
	mig_events_free(ev);
	fflush(c.f);
	cr_assert_eq(c.len, 0, "printed: %s", c.buf);
	capture_close(&c);
}

Test(events, new_checks_its_arguments)
{
	struct capture c;

	capture_open(&c);
	errno = 0;
	cr_assert_null(mig_events_new(NULL, MIG_EVENTS_TTY, "web1"));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(mig_events_new(c.f, (enum mig_event_mode)42, "web1"));
	cr_assert_eq(errno, EINVAL);
	mig_events_free(NULL);
	capture_close(&c);
}
