/*
 * chan_post.c: channels opened from other threads.
 *
 * A session is driven by one thread. Programs that accept local
 * connections elsewhere (a relay listening for QEMU, say) post the fd
 * here; the session's thread opens the channel at its next step. They
 * may also ask it to tighten channels (tp_session_tighten) or to change
 * its resume limit (tp_session_set_resume_timeout).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transport/session_priv.h"

enum tp_post_kind {
	TP_POST_OPEN,    /* open fd as a channel of that name */
	TP_POST_TIGHTEN, /* tighten the channels of that name */
	TP_POST_RESUME,  /* set the resume limit to value ms */
};

struct tp_chan_post {
	STAILQ_ENTRY(tp_chan_post) entry;
	enum tp_post_kind kind;
	char name[TP_FRAME_NAME_MAX + 1];
	unsigned int priority;
	unsigned int value;
	int fd; /* TP_POST_OPEN's; else -1 */
};

static struct tp_chan_post *tp_post_new(enum tp_post_kind kind, int fd)
{
	struct tp_chan_post *post = calloc(1, sizeof(*post));

	if (!post && fd >= 0)
		close(fd);
	if (post) {
		post->kind = kind;
		post->fd = fd;
	}
	return post;
}

static void tp_post_queue(struct tp_session *session, struct tp_chan_post *post)
{
	pthread_mutex_lock(&session->post_lock);
	STAILQ_INSERT_TAIL(&session->posted, post, entry);
	atomic_store(&session->post_pending, true);
	pthread_mutex_unlock(&session->post_lock);
	tp_session_wake(session);
}

static int tp_session_post(struct tp_session *session, const char *name,
                           enum tp_post_kind kind, unsigned int priority,
                           int local_fd)
{
	struct tp_chan_post *post;
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > TP_FRAME_NAME_MAX) {
		if (local_fd >= 0)
			close(local_fd);
		return -EINVAL;
	}
	post = tp_post_new(kind, local_fd);
	if (!post)
		return -ENOMEM;
	memcpy(post->name, name, len);
	post->priority = priority;
	tp_post_queue(session, post);
	return 0;
}

int tp_session_post_chan(struct tp_session *session, const char *name,
                         unsigned int priority, int local_fd)
{
	if (local_fd < 0)
		return -EBADF;
	return tp_session_post(session, name, TP_POST_OPEN, priority, local_fd);
}

int tp_session_tighten(struct tp_session *session, const char *name)
{
	return tp_session_post(session, name, TP_POST_TIGHTEN, 0, -1);
}

int tp_session_set_resume_timeout(struct tp_session *session, unsigned int ms)
{
	struct tp_chan_post *post;

	if (ms == 0)
		return -EINVAL;
	post = tp_post_new(TP_POST_RESUME, -1);
	if (!post)
		return -ENOMEM;
	post->value = ms;
	tp_post_queue(session, post);
	return 0;
}

static void tp_chan_tighten(struct tp_chan *chan)
{
	chan->tight = true;
	tp_wwin_tighten(&chan->wwin);
	tp_chan_update(chan);
}

static bool tp_name_tight(const struct tp_session *session, const char *name)
{
	unsigned int i;

	for (i = 0; i < session->n_tight_names; i++)
		if (strcmp(session->tight_names[i], name) == 0)
			return true;
	return false;
}

/* Tighten the channels of that name, and those opened with it later. */
static void tp_chan_tighten_named(struct tp_session *session, const char *name)
{
	struct tp_chan *chan;

	if (!tp_name_tight(session, name) &&
	    session->n_tight_names < TP_TIGHT_NAMES_MAX)
		snprintf(session->tight_names[session->n_tight_names++],
		         sizeof(session->tight_names[0]), "%s", name);
	LIST_FOREACH(chan, &session->chans, entry)
		if (!chan->done && strcmp(chan->name, name) == 0)
			tp_chan_tighten(chan);
}

void tp_chan_tighten_if_named(struct tp_chan *chan)
{
	if (tp_name_tight(chan->session, chan->name))
		tp_chan_tighten(chan);
}

/* Take the whole queue under the lock, so opening never holds it. */
static struct tp_chan_post *tp_chan_post_take(struct tp_session *session)
{
	struct tp_chan_post *first;

	pthread_mutex_lock(&session->post_lock);
	first = STAILQ_FIRST(&session->posted);
	STAILQ_INIT(&session->posted);
	atomic_store(&session->post_pending, false);
	pthread_mutex_unlock(&session->post_lock);
	return first;
}

void tp_chan_post_drain(struct tp_session *session)
{
	struct tp_chan_post *post, *next;
	struct tp_error err;

	/* Every loop step calls this: leave at once when nothing waits. */
	if (!atomic_load(&session->post_pending))
		return;
	if (session->state != TP_SESSION_OPEN &&
	    session->state != TP_SESSION_FAILED &&
	    session->state != TP_SESSION_CLOSED)
		return; /* not yet: keep them for after the handshake */
	for (post = tp_chan_post_take(session); post; post = next) {
		next = STAILQ_NEXT(post, entry);
		if (post->kind == TP_POST_RESUME) {
			session->conf.resume_timeout_ms = post->value;
		} else if (post->kind == TP_POST_TIGHTEN) {
			if (session->state == TP_SESSION_OPEN)
				tp_chan_tighten_named(session, post->name);
		} else if (session->state == TP_SESSION_OPEN) {
			tp_chan_open(session, post->name, post->priority,
			             post->fd, &err);
		} else {
			close(post->fd);
		}
		free(post);
	}
}

void tp_chan_post_discard(struct tp_session *session)
{
	struct tp_chan_post *post, *next;

	for (post = tp_chan_post_take(session); post; post = next) {
		next = STAILQ_NEXT(post, entry);
		if (post->fd >= 0)
			close(post->fd);
		free(post);
	}
}
