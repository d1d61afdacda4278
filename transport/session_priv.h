/*
 * session_priv.h: what session.c, chan.c and listen.c share. Internal to
 * transport/ (and its tests).
 */
#ifndef SKYFERRY_TP_SESSION_PRIV_H
#define SKYFERRY_TP_SESSION_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "transport/codec.h"
#include "transport/tls.h"
#include "transport/tp.h"
#include "transport/tp_frame.h"

#define TP_PROTO_VERSION_MIN 1u
#define TP_PROTO_VERSION_MAX 1u
#define TP_CHAN_MAX          1024u

/* What an epoll event points at. */
enum tp_watch_kind {
	TP_WATCH_SOCKET,
	TP_WATCH_WAKEUP,
	TP_WATCH_CHAN,
};

struct tp_watch {
	enum tp_watch_kind kind;
	void *owner;
	int fd;
	uint32_t events; /* current epoll interest */
};

/* A byte ring of fixed capacity. */
struct tp_ring {
	uint8_t *buf;
	size_t cap;
	size_t head; /* first byte held */
	size_t len;  /* bytes held */
};

int tp_ring_init(struct tp_ring *ring, size_t cap);
void tp_ring_free(struct tp_ring *ring);
/* Contiguous free space at the tail; its start in *p. */
size_t tp_ring_space_contig(const struct tp_ring *ring, uint8_t **p);
/* Contiguous held bytes at the head; their start in *p. */
size_t tp_ring_data_contig(const struct tp_ring *ring, const uint8_t **p);
void tp_ring_produce(struct tp_ring *ring, size_t n);
void tp_ring_consume(struct tp_ring *ring, size_t n);
/* Copy n bytes (n <= free space) in, wrapping as needed. */
void tp_ring_write(struct tp_ring *ring, const uint8_t *src, size_t n);

enum tp_session_state {
	TP_SESSION_TLS,    /* TLS handshake running */
	TP_SESSION_HELLO,  /* TLS done, waiting for the peer's hello */
	TP_SESSION_OPEN,   /* channels may flow */
	TP_SESSION_CLOSED, /* ended cleanly */
	TP_SESSION_FAILED, /* err holds why */
};

struct tp_chan {
	LIST_ENTRY(tp_chan) entry;
	struct tp_session *session;
	uint32_t id;
	uint8_t priority;
	char name[TP_FRAME_NAME_MAX + 1];
	struct tp_watch watch; /* the local fd */
	struct tp_ring tx;     /* local fd -> peer */
	struct tp_ring rx;     /* peer -> local fd */
	uint64_t send_credit;  /* bytes the peer lets us send */
	uint32_t credit_owed;  /* bytes drained locally, not yet granted */
	bool open_pending;     /* OPEN frame still to send */
	bool local_eof;        /* local fd reached EOF */
	bool eof_sent;
	bool remote_eof;    /* peer sent EOF */
	bool local_shut;    /* local fd shut for writing */
	bool reset_pending; /* RESET frame still to send */
	uint32_t reset_code;
	bool done;
	struct tp_error err;
	struct tp_stats stats;
};

LIST_HEAD(tp_chan_list, tp_chan);

struct tp_session {
	struct tp_session_conf conf;
	bool server;
	enum tp_session_state state;
	struct tp_error err;
	int fd;
	int epfd;
	struct tp_watch sock_watch;
	struct tp_watch wake_watch;
	struct tp_tls *tls; /* owned by a client session only */
	struct tp_tls_conn *conn;
	struct tp_codec *codec;
	char addr[64];
	unsigned int version;
	uint32_t peer_max_raw;
	uint32_t peer_window;
	/* frames in */
	uint8_t *rxbuf; /* TP_FRAME_LEN_MAX */
	size_t rx_len;
	uint8_t *scratch; /* TP_FRAME_RAW_MAX, for decompression */
	uint64_t rx_seq;
	/* frames out */
	uint8_t *txbuf; /* TP_FRAME_LEN_MAX */
	size_t tx_len;
	size_t tx_off;
	uint64_t tx_seq;
	bool hello_pending;
	bool ping_pending;
	bool pong_pending;
	uint64_t pong_opaque;
	bool close_pending;
	bool close_sent;
	bool write_blocked;
	/* time */
	uint64_t last_rx_ms;
	uint64_t last_ping_ms;
	/* channels */
	struct tp_chan_list chans;
	unsigned int chan_count;
	uint32_t next_chan_id;
	struct tp_chan *rr_cursor[2]; /* round robin per priority */
	uint64_t buffer_bytes;        /* ring capacity allocated */
	struct tp_stats stats;
	volatile int stop;
};

/* Latch err on the session (first error wins) and fail every channel. */
int tp_session_fail(struct tp_session *session, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Milliseconds on the monotonic clock. */
uint64_t tp_now_ms(void);

/* New session on a connected TCP fd (taken, even on failure). */
struct tp_session *tp_session_new(const struct tp_session_conf *conf,
                                  struct tp_tls *tls, bool own_tls, int fd,
                                  bool server, struct tp_error *err);

/* Set the epoll interest of a watch (no syscall if unchanged). */
int tp_session_watch(struct tp_session *session, struct tp_watch *watch,
                     uint32_t events);

/* chan.c */
struct tp_chan *tp_chan_new(struct tp_session *session, uint32_t id,
                            const char *name, unsigned int priority,
                            int local_fd, uint64_t send_credit,
                            struct tp_error *err);
void tp_chan_free(struct tp_chan *chan);
struct tp_chan *tp_chan_find(struct tp_session *session, uint32_t id);
/* Local fd ready (epoll events). */
void tp_chan_handle(struct tp_chan *chan, uint32_t events);
/* Recompute the local fd's epoll interest. */
void tp_chan_update(struct tp_chan *chan);
/* Latch err on the channel, close its local fd, queue a RESET if asked. */
void tp_chan_fail(struct tp_chan *chan, int code, bool send_reset,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Mark done and release the local fd once both directions finished. */
void tp_chan_check_done(struct tp_chan *chan);
/* Frames from the peer for this channel. */
int tp_chan_recv(struct tp_chan *chan, const struct tp_frame_hdr *hdr,
                 const uint8_t *payload);

#endif
