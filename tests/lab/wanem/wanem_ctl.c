/*
 * wanem_ctl: control requests against the emulator's state.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wanem_ctl.h"

void wanem_state_init(struct wanem_state *st, int profile, uint64_t seed)
{
	struct wanem_link link;
	int dir;

	memset(st, 0, sizeof(*st));
	wanem_profile_link(profile, &link);
	for (dir = 0; dir < WANEM_NDIRS; dir++)
		wanem_shaper_init(&st->dir[dir], &link, seed + (uint64_t)dir);
	st->profile = profile;
}

const char *wanem_dir_name(int dir)
{
	return dir == WANEM_EW ? "ew" : "we";
}

void wanem_ctl_apply(struct wanem_state *st, const struct wanem_req *req,
                     uint64_t now_ns)
{
	struct wanem_link link;
	int dir;

	switch (req->cmd) {
	case WANEM_CMD_SET:
		for (dir = 0; dir < WANEM_NDIRS; dir++) {
			if (!(req->dirs & (1u << dir)))
				continue;
			link = st->dir[dir].link;
			if (req->fields & WANEM_SET_RATE)
				link.rate_bps = req->link.rate_bps;
			if (req->fields & WANEM_SET_DELAY)
				link.delay_ns = req->link.delay_ns;
			if (req->fields & WANEM_SET_LOSS)
				link.loss_ppb = req->link.loss_ppb;
			if (req->fields & WANEM_SET_LIMIT)
				link.limit_bytes = req->link.limit_bytes;
			wanem_shaper_configure(&st->dir[dir], &link);
		}
		st->profile = -1;
		break;
	case WANEM_CMD_PROFILE:
		wanem_profile_link(req->profile, &link);
		for (dir = 0; dir < WANEM_NDIRS; dir++)
			wanem_shaper_configure(&st->dir[dir], &link);
		st->profile = req->profile;
		break;
	case WANEM_CMD_CUT:
		st->cut_until_ns = req->cut_ns ? now_ns + req->cut_ns : 0;
		if (req->cut_ns)
			st->cuts++;
		break;
	case WANEM_CMD_SHOW:
		break;
	}
}

/* Appends to buf at *off, never past buflen; keeps buf terminated. */
static void buf_add(char *buf, size_t buflen, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void buf_add(char *buf, size_t buflen, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= buflen)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, buflen - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*off += (size_t)n < buflen - *off ? (size_t)n : buflen - *off - 1;
}

static void rate_format(uint64_t bps, char *buf, size_t buflen)
{
	if (!bps)
		snprintf(buf, buflen, "unlimited");
	else if (bps % 1000000000 == 0)
		snprintf(buf, buflen, "%" PRIu64 "gbit", bps / 1000000000);
	else if (bps % 1000000 == 0)
		snprintf(buf, buflen, "%" PRIu64 "mbit", bps / 1000000);
	else if (bps % 1000 == 0)
		snprintf(buf, buflen, "%" PRIu64 "kbit", bps / 1000);
	else
		snprintf(buf, buflen, "%" PRIu64 "bit", bps);
}

static void delay_format(uint64_t ns, char *buf, size_t buflen)
{
	if (ns % 1000000 == 0)
		snprintf(buf, buflen, "%" PRIu64 "ms", ns / 1000000);
	else if (ns % 1000 == 0)
		snprintf(buf, buflen, "%" PRIu64 "us", ns / 1000);
	else
		snprintf(buf, buflen, "%" PRIu64 "ns", ns);
}

/* ppb as a percentage without trailing zeros: 1000000 -> "0.1%". */
static void loss_format(uint32_t ppb, char *buf, size_t buflen)
{
	char frac[8];
	int i;

	snprintf(frac, sizeof(frac), "%07u", ppb % 10000000);
	for (i = 6; i >= 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	snprintf(buf, buflen, "%u%s%s%%", ppb / 10000000, frac[0] ? "." : "",
	         frac);
}

void wanem_link_format(const struct wanem_shaper *sh, char *buf, size_t buflen)
{
	char rate[32], delay[32], loss[32];

	rate_format(sh->link.rate_bps, rate, sizeof(rate));
	delay_format(sh->link.delay_ns, delay, sizeof(delay));
	loss_format(sh->link.loss_ppb, loss, sizeof(loss));
	snprintf(buf, buflen, "rate=%s delay=%s loss=%s limit=%s%" PRIu64 "%s",
	         rate, delay, loss, sh->link.limit_bytes ? "" : "auto(",
	         sh->limit_bytes, sh->link.limit_bytes ? "" : ")");
}

void wanem_ctl_show(const struct wanem_state *st, uint64_t now_ns, char *buf,
                    size_t buflen)
{
	const struct wanem_shaper *sh;
	const struct wanem_counters *c;
	size_t off = 0;
	const char *d;
	int dir;

	if (!buflen)
		return;
	buf[0] = '\0';
	buf_add(buf, buflen, &off, "profile=%s\n",
	        wanem_profile_name(st->profile));
	buf_add(buf, buflen, &off, "cut_remaining_ms=%" PRIu64 "\n",
	        wanem_state_cut(st, now_ns)
	            ? (st->cut_until_ns - now_ns + 999999) / 1000000
	            : 0);
	buf_add(buf, buflen, &off, "cuts=%" PRIu64 "\n", st->cuts);
	for (dir = 0; dir < WANEM_NDIRS; dir++) {
		sh = &st->dir[dir];
		c = &sh->counters;
		d = wanem_dir_name(dir);
		buf_add(buf, buflen, &off,
		        "%s.rate_bps=%" PRIu64 "\n%s.delay_ns=%" PRIu64 "\n"
		        "%s.loss_ppb=%" PRIu32 "\n%s.limit_bytes=%" PRIu64 "\n"
		        "%s.limit_auto=%d\n%s.backlog_bytes=%" PRIu64 "\n",
		        d, sh->link.rate_bps, d, sh->link.delay_ns, d,
		        sh->link.loss_ppb, d, sh->limit_bytes, d,
		        sh->link.limit_bytes ? 0 : 1, d,
		        wanem_shaper_backlog(sh, now_ns));
		buf_add(buf, buflen, &off,
		        "%s.rx_frames=%" PRIu64 "\n%s.rx_bytes=%" PRIu64 "\n"
		        "%s.fwd_frames=%" PRIu64 "\n%s.fwd_bytes=%" PRIu64 "\n"
		        "%s.drop_loss=%" PRIu64 "\n%s.drop_queue=%" PRIu64 "\n"
		        "%s.drop_cut=%" PRIu64 "\n%s.drop_oversize=%" PRIu64
		        "\n%s.drop_tx=%" PRIu64 "\n%s.drop_rxbuf=%" PRIu64 "\n",
		        d, c->rx_frames, d, c->rx_bytes, d, c->fwd_frames, d,
		        c->fwd_bytes, d, c->drop_loss, d, c->drop_queue, d,
		        c->drop_cut, d, c->drop_oversize, d, c->drop_tx, d,
		        c->drop_rxbuf);
	}
}

int wanem_ctl_handle(struct wanem_state *st, const char *msg, size_t len,
                     uint64_t now_ns, char *reply, size_t replylen)
{
	char err[WANEM_ERR_MAX];
	struct wanem_req req;
	size_t off = 0;
	int ret;

	if (!replylen)
		return -EINVAL;
	reply[0] = '\0';
	ret = wanem_req_parse(msg, len, &req, err, sizeof(err));
	if (ret < 0) {
		buf_add(reply, replylen, &off, "error: %s\n", err);
		return ret;
	}
	wanem_ctl_apply(st, &req, now_ns);
	buf_add(reply, replylen, &off, "ok\n");
	if (req.cmd == WANEM_CMD_SHOW && off < replylen)
		wanem_ctl_show(st, now_ns, reply + off, replylen - off);
	return 0;
}
