/* Serial log parser for the disk writer's lines: see disklog.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lab/disklog.h"

#define DISKLOG_ACK   "SF-DISK-ACK seq="
#define DISKLOG_START "SF-DISK-START run="

void disklog_init(struct disklog *log)
{
	memset(log, 0, sizeof(*log));
}

void disklog_fini(struct disklog *log)
{
	free(log->acks);
	disklog_init(log);
}

static bool disklog_is_end(const char *p, const char *end)
{
	return p == end || *p == ' ' || *p == '\t' || *p == '\r';
}

/* Decimal, 1-19 digits, ending at a blank or the end of the line. */
static const char *disklog_parse_dec(const char *p, const char *end,
                                     uint64_t *out)
{
	uint64_t v = 0;
	unsigned digits = 0;

	while (p < end && *p >= '0' && *p <= '9' && digits < 20) {
		v = v * 10 + (uint64_t)(*p++ - '0');
		digits++;
	}
	if (digits == 0 || digits > 19 || !disklog_is_end(p, end))
		return NULL;
	*out = v;
	return p;
}

/* Hexadecimal, 1-16 digits, ending at a blank or the end of the line. */
static const char *disklog_parse_hex(const char *p, const char *end,
                                     uint64_t *out)
{
	uint64_t v = 0;
	unsigned digits = 0;

	for (; p < end && digits < 17; p++, digits++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		v = v << 4 | d;
	}
	if (digits == 0 || digits > 16 || !disklog_is_end(p, end))
		return NULL;
	*out = v;
	return p;
}

static int disklog_add_ack(struct disklog *log, uint64_t seq,
                           struct sf_err *err)
{
	if (log->nacks == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 1024;
		uint64_t *acks;

		if (log->nacks >= DISKLOG_MAX_ACKS) {
			sf_err_set(err, "more than %u acks in the log",
			           DISKLOG_MAX_ACKS);
			return -E2BIG;
		}
		if (cap > DISKLOG_MAX_ACKS)
			cap = DISKLOG_MAX_ACKS;
		acks = realloc(log->acks, cap * sizeof(*acks));
		if (acks == NULL) {
			sf_err_set(err, "out of memory for %zu acks", cap);
			return -ENOMEM;
		}
		log->acks = acks;
		log->cap = cap;
	}
	log->acks[log->nacks++] = seq;
	return 0;
}

/* "run=HEX nslots=N": a new run replaces the acks kept so far. */
static void disklog_start(struct disklog *log, const char *p, const char *end)
{
	static const char nslots_key[] = " nslots=";
	uint64_t run, nslots;

	p = disklog_parse_hex(p, end, &run);
	if (p == NULL || (size_t)(end - p) < sizeof(nslots_key) - 1 ||
	    memcmp(p, nslots_key, sizeof(nslots_key) - 1) != 0 ||
	    disklog_parse_dec(p + sizeof(nslots_key) - 1, end, &nslots) ==
	        NULL) {
		log->malformed++;
		return;
	}
	log->runs++;
	log->earlier_acks += log->nacks;
	log->nacks = 0;
	log->have_start = true;
	log->run = run;
	log->nslots = nslots;
}

static int disklog_line(struct disklog *log, const char *line, const char *end,
                        struct sf_err *err)
{
	const char *p = line;

	while (p < end) {
		const char *hit = memmem(p, (size_t)(end - p), "SF-DISK-",
		                         sizeof("SF-DISK-") - 1);
		size_t rest;
		uint64_t seq;
		int ret;

		if (hit == NULL)
			break;
		rest = (size_t)(end - hit);
		p = hit + 1;
		if (rest >= sizeof(DISKLOG_ACK) - 1 &&
		    memcmp(hit, DISKLOG_ACK, sizeof(DISKLOG_ACK) - 1) == 0) {
			if (disklog_parse_dec(hit + sizeof(DISKLOG_ACK) - 1,
			                      end, &seq) == NULL) {
				log->malformed++;
				continue;
			}
			ret = disklog_add_ack(log, seq, err);
			if (ret < 0)
				return ret;
		} else if (rest >= sizeof(DISKLOG_START) - 1 &&
		           memcmp(hit, DISKLOG_START,
		                  sizeof(DISKLOG_START) - 1) == 0) {
			disklog_start(log, hit + sizeof(DISKLOG_START) - 1,
			              end);
		}
	}
	return 0;
}

int disklog_parse(struct disklog *log, const char *text, size_t len,
                  struct sf_err *err)
{
	const char *p = text, *end = text + len;

	if (len == 0)
		return 0;
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		int ret;

		if (nl == NULL)
			return 0; /* no line, or a cut last line: ignored */
		ret = disklog_line(log, p, nl, err);
		if (ret < 0)
			return ret;
		p = nl + 1;
	}
}
