/*
 * chan_post.c: channels opened from other threads.
 *
 * A session is driven by one thread. Programs that accept local
 * connections elsewhere (a relay listening for QEMU, say) post the fd
 * here; the session's thread opens the channel at its next step.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transport/session_priv.h"

struct tp_chan_post {
	STAILQ_ENTRY(tp_chan_post) entry;
	char name[TP_FRAME_NAME_MAX + 1];
	unsigned int priority;
	int fd;
};

int tp_session_post_chan(struct tp_session *session, const char *name,
                         unsigned int priority, int local_fd)
{
	struct tp_chan_post *post;
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > TP_FRAME_NAME_MAX) {
		close(local_fd);
		return -EINVAL;
	}
	post = calloc(1, sizeof(*post));
	if (!post) {
		close(local_fd);
		return -ENOMEM;
	}
	memcpy(post->name, name, len);
	post->priority = priority;
	post->fd = local_fd;
	pthread_mutex_lock(&session->post_lock);
	STAILQ_INSERT_TAIL(&session->posted, post, entry);
	atomic_store(&session->post_pending, true);
	pthread_mutex_unlock(&session->post_lock);
	tp_session_wake(session);
	return 0;
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
		if (session->state == TP_SESSION_OPEN)
			tp_chan_open(session, post->name, post->priority,
			             post->fd, &err);
		else
			close(post->fd);
		free(post);
	}
}

void tp_chan_post_discard(struct tp_session *session)
{
	struct tp_chan_post *post, *next;

	for (post = tp_chan_post_take(session); post; post = next) {
		next = STAILQ_NEXT(post, entry);
		close(post->fd);
		free(post);
	}
}
