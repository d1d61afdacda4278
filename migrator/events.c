/*
 * events.c: progress and result output of the migrator, as a terminal line,
 * plain lines or JSON lines. See events.h for the formats.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "migrator/events.h"

#define MIG_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

struct mig_events {
	FILE *out;
	enum mig_event_mode mode;
	char *domain;
	int err;        /* first write error, -errno; latched */
	bool line_open; /* a TTY progress line awaits its newline */
	bool have_plain;
	uint64_t plain_ms; /* t_ms of the last PLAIN progress line */
};

struct mig_events *mig_events_new(FILE *out, enum mig_event_mode mode,
                                  const char *domain)
{
	struct mig_events *ev;

	if (!out || (mode != MIG_EVENTS_QUIET && mode != MIG_EVENTS_TTY &&
	             mode != MIG_EVENTS_JSON && mode != MIG_EVENTS_PLAIN)) {
		errno = EINVAL;
		return NULL;
	}
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return NULL;
	ev->domain = strdup(domain ? domain : "");
	if (!ev->domain) {
		free(ev);
		errno = ENOMEM;
		return NULL;
	}
	ev->out = out;
	ev->mode = mode;
	return ev;
}

/* Latch the stream's error, if any, after a write. */
static void mig_events_check(struct mig_events *ev)
{
	if (fflush(ev->out) == 0 && !ferror(ev->out))
		return;
	ev->err = errno ? -errno : -EIO;
}

/* End an open TTY progress line so that a message starts on its own. */
static void mig_events_break_line(struct mig_events *ev)
{
	if (!ev->line_open)
		return;
	fputc('\n', ev->out);
	ev->line_open = false;
}

void mig_events_free(struct mig_events *ev)
{
	if (!ev)
		return;
	if (!ev->err && ev->line_open) {
		mig_events_break_line(ev);
		mig_events_check(ev);
	}
	free(ev->domain);
	free(ev);
}

int mig_events_error(const struct mig_events *ev)
{
	return ev->err;
}

/* Writing allowed: not quiet, and no error latched. */
static bool mig_events_live(struct mig_events *ev)
{
	if (ev->mode == MIG_EVENTS_QUIET || ev->err)
		return false;
	errno = 0;
	return true;
}

int mig_events_render_bar(char *buf, size_t len, double percent, unsigned width)
{
	char cells[256];
	unsigned filled, i;

	if (width > sizeof(cells) - 1)
		width = sizeof(cells) - 1;
	if (!(percent > 0))
		percent = 0;
	if (percent > 100)
		percent = 100;
	filled = (unsigned)(percent / 100.0 * width);
	for (i = 0; i < width; i++)
		cells[i] = i < filled ? '#' : '-';
	cells[width] = '\0';
	return snprintf(buf, len, "[%s]", cells);
}

int mig_events_render_duration(char *buf, size_t len, double seconds,
                               bool known)
{
	unsigned long long s;

	if (!known)
		return snprintf(buf, len, "?");
	if (seconds < 0)
		return snprintf(buf, len, "never");
	if (seconds >= 100 * 3600)
		return snprintf(buf, len, ">99h");
	s = (unsigned long long)llround(seconds);
	if (s < 3600)
		return snprintf(buf, len, "%llu:%02llu", s / 60, s % 60);
	return snprintf(buf, len, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60,
	                s % 60);
}

int mig_events_render_bytes(char *buf, size_t len, uint64_t bytes)
{
	if (bytes >= 1000000000)
		return snprintf(buf, len, "%.1f GB", bytes / 1e9);
	if (bytes >= 1000000)
		return snprintf(buf, len, "%.1f MB", bytes / 1e6);
	if (bytes >= 1000)
		return snprintf(buf, len, "%.1f kB", bytes / 1e3);
	return snprintf(buf, len, "%llu B", (unsigned long long)bytes);
}

int mig_events_render_progress(char *buf, size_t len,
                               const struct mig_prediction *pred,
                               const struct mig_sample *s, double compression,
                               uint64_t wire_bps, unsigned bar_width)
{
	char bar[260] = "", eta[16], ratio[16], down[24];
	double rate = wire_bps ? (double)wire_bps : pred->rate_bps;

	if (bar_width)
		mig_events_render_bar(bar, sizeof(bar), pred->percent,
		                      bar_width);
	mig_events_render_duration(eta, sizeof(eta), pred->eta_s, pred->known);
	if (compression > 0)
		snprintf(ratio, sizeof(ratio), "x%.2f", compression);
	else
		snprintf(ratio, sizeof(ratio), "x-");
	if (pred->known)
		snprintf(down, sizeof(down), "%llu",
		         (unsigned long long)pred->downtime_ms);
	else
		snprintf(down, sizeof(down), "?");
	return snprintf(
	    buf, len, "%-10s %s%s%5.1f%% %6.1f Mb/s %s ETA %s down %s/%llu ms",
	    pred->phase ? pred->phase : "", bar, bar_width ? " " : "",
	    pred->percent, rate * 8 / 1e6, ratio, eta, down,
	    (unsigned long long)s->downtime_limit_ms);
}

int mig_events_render_ts(char *buf, size_t len, const struct timespec *ts)
{
	struct tm tm;
	char date[32];
	unsigned ms;

	if (!gmtime_r(&ts->tv_sec, &tm) ||
	    !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm))
		return snprintf(buf, len, "1970-01-01T00:00:00.000Z");
	ms = (unsigned)(ts->tv_nsec / 1000000) % 1000;
	return snprintf(buf, len, "%s.%03uZ", date, ms);
}

/* jansson helpers: NULL-safe, so that a failed allocation shows at dump. */
static json_t *mig_json_u64(uint64_t v)
{
	return json_integer(v > LLONG_MAX ? LLONG_MAX : (json_int_t)v);
}

/* A real rounded to `decimals`, or null when unknown or not finite. */
static json_t *mig_json_real(double v, bool known, int decimals)
{
	double scale = pow(10, decimals);

	if (!known || !isfinite(v))
		return json_null();
	return json_real(round(v * scale) / scale);
}

/*
 * A string, or null for NULL. Text from elsewhere (libvirt errors, host
 * names) may not be UTF-8, which JSON needs: then bytes above 0x7f become '?'.
 */
static json_t *mig_json_str(const char *s)
{
	json_t *j;
	char *ascii;
	size_t i;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	ascii = strdup(s);
	if (!ascii)
		return NULL;
	for (i = 0; ascii[i]; i++)
		if ((unsigned char)ascii[i] > 0x7f)
			ascii[i] = '?';
	j = json_string(ascii);
	free(ascii);
	return j;
}

/* Set key to value (taking it); false if either failed to allocate. */
static bool mig_json_set(json_t *obj, const char *key, json_t *value)
{
	return json_object_set_new(obj, key, value) == 0;
}

/* A new event object with event, ts and domain; NULL on ENOMEM. */
static json_t *mig_events_json_new(const struct mig_events *ev,
                                   const char *event)
{
	struct timespec now;
	char ts[40];

	json_t *o = json_object();

	clock_gettime(CLOCK_REALTIME, &now);
	mig_events_render_ts(ts, sizeof(ts), &now);
	if (o && mig_json_set(o, "event", json_string(event)) &&
	    mig_json_set(o, "ts", json_string(ts)) &&
	    mig_json_set(o, "domain", mig_json_str(ev->domain)))
		return o;
	json_decref(o);
	return NULL;
}

/* Write one JSON line and take obj; a NULL obj latches ENOMEM. */
static void mig_events_json_emit(struct mig_events *ev, json_t *obj, bool ok)
{
	if (!obj || !ok) {
		json_decref(obj);
		ev->err = -ENOMEM;
		return;
	}
	if (json_dumpf(obj, ev->out, MIG_JSON_FLAGS) == 0)
		fputc('\n', ev->out);
	json_decref(obj);
	mig_events_check(ev);
}

static void mig_events_progress_json(struct mig_events *ev,
                                     const struct mig_prediction *pred,
                                     const struct mig_sample *s,
                                     double compression, uint64_t wire_bps)
{
	json_t *o = mig_events_json_new(ev, "progress");
	bool ok = o != NULL;

	if (ok) {
		ok = mig_json_set(o, "phase", mig_json_str(pred->phase)) &&
		     mig_json_set(o, "percent",
		                  mig_json_real(pred->percent, true, 1)) &&
		     mig_json_set(o, "mem_total", mig_json_u64(s->mem_total)) &&
		     mig_json_set(o, "mem_remaining",
		                  mig_json_u64(s->mem_remaining)) &&
		     mig_json_set(o, "disk_total",
		                  mig_json_u64(s->disk_total)) &&
		     mig_json_set(o, "disk_remaining",
		                  mig_json_u64(s->disk_remaining)) &&
		     mig_json_set(o, "iteration",
		                  mig_json_u64(s->mem_iteration)) &&
		     mig_json_set(o, "rate_bps",
		                  mig_json_u64((uint64_t)pred->rate_bps)) &&
		     mig_json_set(o, "wire_bps", mig_json_u64(wire_bps)) &&
		     mig_json_set(o, "dirty_bps",
		                  mig_json_u64((uint64_t)pred->dirty_bps)) &&
		     mig_json_set(
		         o, "compression",
		         mig_json_real(compression, compression > 0, 2)) &&
		     mig_json_set(o, "eta_s",
		                  mig_json_real(pred->eta_s,
		                                pred->known && pred->eta_s >= 0,
		                                1)) &&
		     mig_json_set(
		         o, "converge_s",
		         mig_json_real(pred->converge_s,
		                       pred->known && pred->converge_s >= 0,
		                       1)) &&
		     mig_json_set(o, "predicted_downtime_ms",
		                  pred->known ? mig_json_u64(pred->downtime_ms)
		                              : json_null()) &&
		     mig_json_set(o, "downtime_limit_ms",
		                  mig_json_u64(s->downtime_limit_ms));
	}
	mig_events_json_emit(ev, o, ok);
}

void mig_events_progress(struct mig_events *ev,
                         const struct mig_prediction *pred,
                         const struct mig_sample *s, double compression,
                         uint64_t wire_bps)
{
	char line[512];

	if (!mig_events_live(ev))
		return;
	switch (ev->mode) {
	case MIG_EVENTS_JSON:
		mig_events_progress_json(ev, pred, s, compression, wire_bps);
		return;
	case MIG_EVENTS_TTY:
		mig_events_render_progress(line, sizeof(line), pred, s,
		                           compression, wire_bps,
		                           MIG_EVENTS_BAR_WIDTH);
		fprintf(ev->out, "\r%s\033[K", line);
		ev->line_open = true;
		break;
	case MIG_EVENTS_PLAIN:
		if (ev->have_plain &&
		    s->t_ms - ev->plain_ms < MIG_EVENTS_PLAIN_EVERY_MS)
			return;
		ev->have_plain = true;
		ev->plain_ms = s->t_ms;
		mig_events_render_progress(line, sizeof(line), pred, s,
		                           compression, wire_bps, 0);
		fprintf(ev->out, "%s: %s\n", ev->domain, line);
		break;
	case MIG_EVENTS_QUIET:
		return;
	}
	mig_events_check(ev);
}

void mig_events_switchover(struct mig_events *ev, uint64_t elapsed_ms)
{
	json_t *o;
	bool ok;

	if (!mig_events_live(ev))
		return;
	if (ev->mode == MIG_EVENTS_JSON) {
		o = mig_events_json_new(ev, "switchover");
		ok = o &&
		     mig_json_set(o, "elapsed_ms", mig_json_u64(elapsed_ms));
		mig_events_json_emit(ev, o, ok);
		return;
	}
	mig_events_break_line(ev);
	fprintf(ev->out, "%s: switching over after %.1f s\n", ev->domain,
	        elapsed_ms / 1000.0);
	mig_events_check(ev);
}

static void mig_events_completed_json(struct mig_events *ev,
                                      const struct mig_result *r)
{
	json_t *o = mig_events_json_new(ev, "completed");
	bool ok = o != NULL;

	if (ok)
		ok = mig_json_set(o, "downtime_ms",
		                  mig_json_u64(r->downtime_ms)) &&
		     mig_json_set(o, "total_ms", mig_json_u64(r->total_ms)) &&
		     mig_json_set(o, "raw_bytes", mig_json_u64(r->raw_bytes)) &&
		     mig_json_set(o, "wire_bytes",
		                  mig_json_u64(r->wire_bytes)) &&
		     mig_json_set(o, "compression",
		                  mig_json_real(r->compression,
		                                r->compression > 0, 2)) &&
		     mig_json_set(o, "mem_bytes", mig_json_u64(r->mem_bytes)) &&
		     mig_json_set(o, "disk_bytes",
		                  mig_json_u64(r->disk_bytes)) &&
		     mig_json_set(o, "source_host",
		                  mig_json_str(r->source_host)) &&
		     mig_json_set(o, "dest_host", mig_json_str(r->dest_host)) &&
		     mig_json_set(o, "source_undefined",
		                  json_boolean(r->source_undefined)) &&
		     mig_json_set(o, "dest_persistent",
		                  json_boolean(r->dest_persistent));
	mig_events_json_emit(ev, o, ok);
}

void mig_events_completed(struct mig_events *ev, const struct mig_result *r)
{
	char raw[24], mem[24], disk[24], wire[24], ratio[16] = "";

	if (!mig_events_live(ev))
		return;
	if (ev->mode == MIG_EVENTS_JSON) {
		mig_events_completed_json(ev, r);
		return;
	}
	mig_events_render_bytes(raw, sizeof(raw), r->raw_bytes);
	mig_events_render_bytes(mem, sizeof(mem), r->mem_bytes);
	mig_events_render_bytes(disk, sizeof(disk), r->disk_bytes);
	mig_events_render_bytes(wire, sizeof(wire), r->wire_bytes);
	if (r->compression > 0)
		snprintf(ratio, sizeof(ratio), " (x%.2f)", r->compression);
	mig_events_break_line(ev);
	fprintf(ev->out, "%s: migrated", ev->domain);
	if (r->source_host && r->dest_host)
		fprintf(ev->out, " from %s to %s", r->source_host,
		        r->dest_host);
	fprintf(ev->out,
	        " in %.1f s, downtime %llu ms\n"
	        "%s: moved %s (memory %s, disks %s) as %s on the wire%s\n"
	        "%s: destination %s, source %s\n",
	        r->total_ms / 1000.0, (unsigned long long)r->downtime_ms,
	        ev->domain, raw, mem, disk, wire, ratio, ev->domain,
	        r->dest_persistent ? "persistent" : "transient",
	        r->source_undefined ? "undefined" : "still defined");
	mig_events_check(ev);
}

void mig_events_failed(struct mig_events *ev, const char *reason,
                       const char *vm_runs_at, int exit_code)
{
	json_t *o;
	bool ok;

	if (!mig_events_live(ev))
		return;
	if (ev->mode == MIG_EVENTS_JSON) {
		o = mig_events_json_new(ev, "failed");
		ok = o && mig_json_set(o, "reason", mig_json_str(reason)) &&
		     mig_json_set(o, "vm_runs_at", mig_json_str(vm_runs_at)) &&
		     mig_json_set(o, "exit_code", json_integer(exit_code));
		mig_events_json_emit(ev, o, ok);
		return;
	}
	mig_events_break_line(ev);
	fprintf(ev->out, "%s: migration failed: %s\n", ev->domain,
	        reason ? reason : "unknown error");
	if (vm_runs_at)
		fprintf(ev->out, "%s: the VM runs at the %s\n", ev->domain,
		        vm_runs_at);
	mig_events_check(ev);
}

void mig_events_log(struct mig_events *ev, const char *level, const char *fmt,
                    ...)
{
	char msg[MIG_EVENTS_MSG_MAX];
	va_list ap;
	json_t *o;
	bool ok;

	if (!mig_events_live(ev))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ev->mode == MIG_EVENTS_JSON) {
		o = mig_events_json_new(ev, "log");
		ok = o && mig_json_set(o, "level", mig_json_str(level)) &&
		     mig_json_set(o, "message", mig_json_str(msg));
		mig_events_json_emit(ev, o, ok);
		return;
	}
	mig_events_break_line(ev);
	fprintf(ev->out, "%s: %s: %s\n", ev->domain, level, msg);
	mig_events_check(ev);
}
