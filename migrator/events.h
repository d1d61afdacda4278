/*
 * events.h: what the migrator tells its user while a migration runs.
 *
 *   TTY    one progress line, redrawn in place ("\r", clear to end of line);
 *          other messages start on a fresh line.
 *   PLAIN  for a stderr that is not a terminal: a progress line at most
 *          every MIG_EVENTS_PLAIN_EVERY_MS, other messages as they come.
 *   JSON   (--json) one compact JSON object per line, flushed, for
 *          orchestrators. Every object has "event", "ts" (RFC 3339, UTC,
 *          milliseconds) and "domain"; then, by event:
 *            progress    phase, percent, mem_total, mem_remaining,
 *                        disk_total, disk_remaining, iteration, rate_bps,
 *                        wire_bps, dirty_bps, compression, eta_s,
 *                        converge_s, predicted_downtime_ms,
 *                        downtime_limit_ms
 *            switchover  elapsed_ms (since the migration started)
 *            completed   downtime_ms, total_ms, raw_bytes, wire_bytes,
 *                        compression, mem_bytes, disk_bytes, source_host,
 *                        dest_host, source_undefined, dest_persistent
 *            failed      reason, vm_runs_at, exit_code
 *            log         level, message
 *          Rates (*_bps) are bytes per second: rate_bps and dirty_bps of
 *          raw migration data, wire_bps of what leaves on the wire. Values
 *          not known yet (eta_s, converge_s, predicted_downtime_ms before
 *          the rate is measured, or when it never converges) are null.
 *   QUIET  nothing at all.
 *
 * The text is built by the pure mig_events_render_* functions, which tests
 * pin. A write error on the stream is latched: later events write nothing
 * and mig_events_error() reports it. One mig_events is for one thread.
 */
#ifndef MIG_EVENTS_H
#define MIG_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "migrator/converge.h"

#define MIG_EVENTS_PLAIN_EVERY_MS 5000
#define MIG_EVENTS_BAR_WIDTH      10   /* cells in the TTY bar */
#define MIG_EVENTS_MSG_MAX        1024 /* longer log messages are cut */

enum mig_event_mode {
	MIG_EVENTS_QUIET = 0,
	MIG_EVENTS_TTY,
	MIG_EVENTS_JSON,
	MIG_EVENTS_PLAIN,
};

struct mig_result {
	uint64_t downtime_ms;
	uint64_t total_ms;
	uint64_t raw_bytes;      /* migration data before compression */
	uint64_t wire_bytes;     /* after */
	double compression;      /* raw / wire, 0: unknown */
	const char *source_host; /* NULL: not named */
	const char *dest_host;
	bool source_undefined;
	bool dest_persistent;
	uint64_t mem_bytes, disk_bytes;
};

struct mig_events;

/*
 * Events about domain, written to out (not closed by mig_events_free).
 * Copies domain. NULL with errno set (EINVAL, ENOMEM).
 */
struct mig_events *mig_events_new(FILE *out, enum mig_event_mode mode,
                                  const char *domain);

/* Ends an open TTY progress line. NULL is fine. */
void mig_events_free(struct mig_events *ev);

/* 0, or the first write error on the stream as -errno. */
int mig_events_error(const struct mig_events *ev);

/*
 * One poll's progress. compression is raw / wire (0: unknown); wire_bps
 * the rate on the wire after compression (0: unknown; the TTY and PLAIN
 * lines then show the raw rate).
 */
void mig_events_progress(struct mig_events *ev,
                         const struct mig_prediction *pred,
                         const struct mig_sample *s, double compression,
                         uint64_t wire_bps);

/* The guest has paused for the switchover, elapsed_ms after the start. */
void mig_events_switchover(struct mig_events *ev, uint64_t elapsed_ms);

void mig_events_completed(struct mig_events *ev, const struct mig_result *r);

/* vm_runs_at: e.g. "source (east, running)"; NULL: not known. */
void mig_events_failed(struct mig_events *ev, const char *reason,
                       const char *vm_runs_at, int exit_code);

/* A line of level "info", "warn" or "error". */
void mig_events_log(struct mig_events *ev, const char *level, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));

/*
 * Pure renderers. Each writes a NUL-terminated string into buf (cut to
 * len) and returns the length it would have had, as snprintf does.
 */

/* "[####------]": percent (clamped to 0..100) of width cells filled. */
int mig_events_render_bar(char *buf, size_t len, double percent,
                          unsigned width);

/* "1:23", "1:02:03", ">99h"; "never" below 0 if known, else "?". */
int mig_events_render_duration(char *buf, size_t len, double seconds,
                               bool known);

/* "4.2 GB", "812.0 MB", "12.0 kB", "512 B" (decimal units). */
int mig_events_render_bytes(char *buf, size_t len, uint64_t bytes);

/*
 * The progress line, without "\r" or clearing; a bar of bar_width cells,
 * none if 0:
 * "memory     [####------]  42.0%   94.4 Mb/s x2.14 ETA 1:23 down 240/300 ms"
 */
int mig_events_render_progress(char *buf, size_t len,
                               const struct mig_prediction *pred,
                               const struct mig_sample *s, double compression,
                               uint64_t wire_bps, unsigned bar_width);

/* "2024-05-01T12:34:56.789Z" */
int mig_events_render_ts(char *buf, size_t len, const struct timespec *ts);

#endif
