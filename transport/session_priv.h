/*
 * session_priv.h: what session.c, chan.c and listen.c share. Internal to
 * transport/ (and its tests).
 */
#ifndef SKYFERRY_TP_SESSION_PRIV_H
#define SKYFERRY_TP_SESSION_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "transport/codec.h"
#include "transport/codec_auto.h"
#include "transport/rate.h"
#include "transport/wire_window.h"
#include "transport/tls.h"
#include "transport/tp.h"
#include "transport/tp_frame.h"

#define TP_PROTO_VERSION_MIN 2u
#define TP_PROTO_VERSION_MAX 2u
#define TP_CHAN_MAX          1024u
#define TP_EARLY_MAX         (1u << 20) /* frames delivered ahead of a gap */

/* conf.handshake_ms when 0 (session.c, and the connect in listen.c). */
#define TP_DEFAULT_HANDSHAKE_MS 10000u

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
	TP_SESSION_TLS,    /* first connection: TLS handshake running */
	TP_SESSION_HELLO,  /* first connection: waiting for the peer's hello */
	TP_SESSION_OPEN,   /* channels may flow (also during an outage) */
	TP_SESSION_CLOSED, /* ended cleanly, or handed to another session */
	TP_SESSION_FAILED, /* err holds why */
};

/* One TCP connection of a session. */
enum tp_stripe_state {
	TP_STRIPE_IDLE,       /* no connection (client: retry at retry_ms) */
	TP_STRIPE_CONNECTING, /* client: non-blocking connect() running */
	TP_STRIPE_TLS,
	TP_STRIPE_HELLO, /* TLS done, hellos not yet exchanged */
	TP_STRIPE_OPEN,
};

#define TP_STRIPE_CTL_MAX (TP_FRAME_HDR_LEN + 256u) /* session frames */

struct tp_replay;

struct tp_stripe {
	struct tp_session *session;
	uint16_t index;
	enum tp_stripe_state state;
	struct tp_watch watch; /* the TCP fd; -1 when IDLE */
	struct tp_tls_conn *conn;
	char addr[64];
	uint8_t *rxbuf; /* TP_FRAME_LEN_MAX */
	size_t rx_len;
	/* frame being written: ctl (session frame) or a replay entry */
	uint8_t ctl[TP_STRIPE_CTL_MAX];
	const uint8_t *tx;
	struct tp_replay *tx_entry;
	size_t tx_len;
	size_t tx_off;
	bool write_blocked;
	bool hello_pending;
	bool ping_pending;
	bool pong_pending;
	bool ack_pending;
	uint64_t pong_opaque;
	uint64_t started_ms; /* connect or accept */
	uint64_t last_rx_ms;
	uint64_t last_ping_ms;
	uint64_t retry_ms;
	unsigned int backoff_ms;
	struct tp_frame_hello
	    peer_hello; /* server: the join being handed over */
	LIST_ENTRY(tp_stripe) inbox_entry;
	uint64_t tx_frames;
	uint64_t rx_frames;
	/* TCP's busy and buffer-limited time (us) at the last measurement */
	uint64_t busy_us;
	uint64_t limited_us;
};

LIST_HEAD(tp_stripe_list, tp_stripe);

/*
 * A channel frame, kept from the moment it is built until the peer
 * acknowledges it (replay), or received ahead of a gap (reorder).
 */
struct tp_replay {
	TAILQ_ENTRY(tp_replay) entry;
	uint64_t seq;
	uint64_t chan_prev;       /* held frames: what they wait for */
	size_t len;               /* header and payload */
	int stripe;               /* last sent on; -1: never */
	bool pending;             /* must be (re)sent */
	struct tp_stripe *writer; /* stripe writing it now */
	uint8_t *buf;
};

TAILQ_HEAD(tp_replay_list, tp_replay);

struct tp_registry;

#define TP_CHAN_FLIGHT 64u /* frame records per channel in flight */
#define TP_CHAN_TIGHT_SEND (64u << 10) /* a tight channel's read-ahead */
#define TP_TIGHT_NAMES_MAX 4           /* names kept tight, per session */

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
	/*
	 * DATA frames in flight, for conf.wire_window: stats.tx_raw and
	 * stats.tx_wire at the end of each frame sent and not yet covered
	 * by credit (the oldest first; when full, the newest absorbs the
	 * next frame, which only overstates what is in flight).
	 */
	struct tp_flight {
		uint64_t raw_end, wire_end;
		uint64_t sent_ns;
	} flight[TP_CHAN_FLIGHT];
	unsigned int flight_head, flight_len;
	uint64_t credited;   /* credit granted since the open */
	uint64_t wire_acked; /* stats.tx_wire of the last covered frame */
	struct tp_wwin wwin; /* how much may be in flight */
	uint64_t tx_prev;    /* seq of our last frame of this channel */
	bool open_pending;   /* OPEN frame still to send */
	bool local_eof;      /* local fd reached EOF */
	bool eof_sent;
	bool remote_eof;       /* peer sent EOF */
	bool local_shut;       /* local fd shut for writing */
	bool local_not_socket; /* local fd is a pipe: write(2), not send */
	bool reset_pending;    /* RESET frame still to send */
	bool tight;            /* tp_session_tighten(): read little ahead */
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
	int epfd;
	struct tp_watch wake_watch;
	struct tp_tls *tls; /* client: owned, for reconnects */
	struct tp_codec *codec;
	struct tp_codec_auto *codec_auto; /* conf.codec AUTO, once open */
	double wire_Bps;                  /* wire rate estimate, for AUTO */
	uint64_t path_rtt_ns;             /* least stripe round trip */
	uint64_t path_ms;                 /* when both were measured */
	/*
	 * Open stripes, lowest index first, that take new bulk frames: all
	 * of them for a stripe count or link rate the caller gave; else one
	 * at first, and one more whenever those were held back by a full
	 * send buffer for over a quarter of their busy time (the
	 * count from the assumed 1 Gbit/s would spread a slower link's
	 * frames over stripes whose losses stall each other).
	 */
	unsigned int bulk_stripes;
	uint32_t peer_features; /* TP_HELLO_F_* of the peer */
	char addr[64];
	char peer[TP_TLS_PEER_MAX];
	char identity[TP_TLS_PEER_MAX];
	unsigned int version;
	uint32_t peer_max_raw;
	uint32_t peer_window;
	uint32_t peer_reorder_max;
	bool window_auto; /* conf.wire_window, chan_window (and session_cap)
	                     from the BDP, once: both windows left 0 and
	                     link_mbps given */
	bool cap_auto;
	bool wire_grow;    /* windows left 0: each channel's wire window
	                      follows its path (wire_window.h) */
	bool link_assumed; /* conf.link_mbps is the default, not measured */
	/* identity of the session across connections */
	uint8_t session_id[16];
	uint8_t token[32];
	bool has_id;
	struct sockaddr_storage peer_sa; /* client: where to reconnect */
	unsigned int peer_sa_len;
	/* the first connection's own and peer addresses, after handshake */
	struct sockaddr_storage local_sa, remote_sa;
	bool addrs_known;
	struct tp_registry *registry; /* server: shared with the listener */
	LIST_ENTRY(tp_session) reg_entry;
	bool registered;
	bool detached;               /* counted in registry->detached */
	struct tp_stripe_list inbox; /* joins handed over (registry lock) */
	/* stripes */
	struct tp_stripe *stripes[TP_FRAME_STRIPE_MAX + 1];
	unsigned int stripe_count; /* wanted (client) */
	unsigned int flush_start;
	uint64_t down_since_ms; /* 0: some stripe open */
	struct tp_error down_err;
	/* channel frames in */
	uint8_t *scratch; /* TP_FRAME_RAW_MAX, for decompression */
	uint64_t rx_seq;  /* every frame up to it received (and delivered) */
	struct tp_replay_list reorder; /* held: their chan_prev not delivered */
	uint64_t reorder_bytes;
	/*
	 * Frames above rx_seq delivered ahead of a gap in another channel:
	 * their seqs, ascending, from early_head to early_len.
	 */
	uint64_t *early;
	size_t early_head, early_len, early_cap;
	uint64_t ack_sent; /* highest ack we put on the wire */
	unsigned int ack_owed;
	uint64_t ack_due_ms;
	/* channel frames out */
	uint8_t *buildbuf; /* TP_FRAME_LEN_MAX */
	uint64_t tx_seq;   /* last assigned */
	struct tp_replay_list replay;
	uint64_t replay_bytes;
	unsigned int resend_count;
	/* channels */
	struct tp_chan_list chans;
	unsigned int chan_count;
	uint32_t next_chan_id;
	struct tp_chan *rr_cursor[2]; /* round robin per priority */
	uint64_t buffer_bytes;        /* ring capacity allocated */
	struct tp_stats stats;
	struct tp_rate rate; /* conf.rate_cap_bps on wire bytes */
	bool rate_blocked;   /* bulk DATA waited for the bucket */
	/* test hooks (tp_session_test_*) */
	_Atomic unsigned int test_kill_mask;
	_Atomic unsigned int test_hold_stripe; /* index + 1; 0: none */
	_Atomic uint64_t test_hold_until_ms;
	_Atomic int stop_req;
	volatile int stop;
	/* names tp_session_tighten() gave: channels opened later are tight */
	char tight_names[TP_TIGHT_NAMES_MAX][TP_FRAME_NAME_MAX + 1];
	unsigned int n_tight_names;
	/* channels posted by other threads (tp_session_post_chan) */
	pthread_mutex_t post_lock;
	_Atomic bool post_pending; /* posted is not empty: a cheap check */
	STAILQ_HEAD(, tp_chan_post) posted;
};

/* Latch err on the session (first error wins) and fail every channel. */
int tp_session_fail(struct tp_session *session, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * tcp_rate.c: what the kernel measured of a TCP fd: its delivery rate in
 * bytes/s, the least round trip since it connected in ns (0: none), and
 * since it connected, the time it had data in flight and the part of that
 * time a full send buffer or the peer's receive window held it back, us.
 */
struct tp_tcp_sample {
	uint64_t rate_Bps;
	uint64_t min_rtt_ns;
	uint64_t busy_us;
	uint64_t limited_us;
};

int tp_tcp_path(int fd, struct tp_tcp_sample *sample);
/* The least round trip of the session's open stripes, ns (0: none). */
uint64_t tp_session_path_rtt(struct tp_session *session);

/*
 * Size conf.chan_window (and conf.session_cap, when the caller left them
 * 0) from the round-trip time TCP measured on fd: before the first hello.
 */
void tp_session_size_window(struct tp_session *session, int fd);

/* Milliseconds and nanoseconds on the monotonic clock. */
uint64_t tp_now_ms(void);
uint64_t tp_now_ns(void);

/*
 * New session on a connected TCP fd (taken, even on failure); a server
 * session joins registry (a reference is taken). A client session owns tls.
 */
struct tp_session *tp_session_new(const struct tp_session_conf *conf,
                                  struct tp_tls *tls, bool own_tls, int fd,
                                  bool server, struct tp_registry *registry,
                                  struct tp_error *err);

/* Wake the session's loop (any thread). */
void tp_session_wake(struct tp_session *session);

/* chan_post.c: open the channels other threads posted; free the rest. */
void tp_chan_post_drain(struct tp_session *session);
void tp_chan_post_discard(struct tp_session *session);
/* Tighten a new channel if tp_session_tighten() named it before. */
void tp_chan_tighten_if_named(struct tp_chan *chan);

/* Emit one session frame (seq 0) into the stripe's ctl buffer. */
void tp_stripe_emit_ctl(struct tp_stripe *stripe, uint8_t type,
                        uint32_t payload_len);

/* Dispatch one in-order channel frame. */
int tp_session_deliver(struct tp_session *session,
                       const struct tp_frame_hdr *hdr, const uint8_t *payload);

/* stripe.c: one TCP connection. */
struct tp_stripe *tp_stripe_new(struct tp_session *session, uint16_t index,
                                int fd, struct tp_error *err);
void tp_stripe_free(struct tp_stripe *stripe);
/* Start a non-blocking connect (client). 0 or -errno. */
int tp_stripe_connect(struct tp_stripe *stripe);
/* Lose the connection: its frames go back for resend; err says why. */
void tp_stripe_kill(struct tp_stripe *stripe, const struct tp_error *why);
void tp_stripe_handle(struct tp_stripe *stripe, uint32_t events);
void tp_stripe_flush(struct tp_stripe *stripe, int frames_max);
/* Recompute the fd's epoll interest. */
int tp_stripe_update(struct tp_stripe *stripe);
/* Keepalive, dead peer, handshake and retry timers; ms to next event. */
uint64_t tp_stripe_tick(struct tp_stripe *stripe, uint64_t now);
unsigned int tp_session_open_stripes(const struct tp_session *session);
/* Apply the socket buffer size of the conf to fd. */
void tp_stripe_sockbuf(const struct tp_session *session, int fd);
void tp_stripe_sockbuf_conf(const struct tp_session_conf *conf, int fd);

/* replay.c: sequence numbers, acknowledgements, replay and reorder. */
/* Take a built frame (header+payload in buf) into the replay buffer. */
struct tp_replay *tp_replay_add(struct tp_session *session, const uint8_t *buf,
                                size_t len);
/* Room for one more frame of len bytes (bulk leaves a reserve)? */
bool tp_replay_room(const struct tp_session *session, size_t len, bool bulk);
/* Peer acknowledged up to ack: release. -EPROTO if ack is in the future. */
int tp_replay_ack(struct tp_session *session, uint64_t ack);
/* First frame that must be (re)sent, or NULL. */
struct tp_replay *tp_replay_next_pending(struct tp_session *session);
/* Everything sent on stripe index and unacknowledged must be resent. */
void tp_replay_requeue(struct tp_session *session, int stripe_index,
                       struct tp_stripe *writer);
/* A channel frame arrived: deliver in order, hold ahead of a gap. */
int tp_replay_recv(struct tp_session *session, const struct tp_frame_hdr *hdr,
                   const uint8_t *frame, size_t len);
void tp_replay_free_all(struct tp_session *session);

/* resume.c: session ids, tokens, the server's registry of sessions. */
struct tp_registry *tp_registry_new(unsigned int max_detached);
void tp_registry_put(struct tp_registry *registry);
/* First connection done: pick an id (server), derive the token. */
int tp_resume_establish(struct tp_session *session, struct tp_stripe *stripe,
                        struct tp_error *err);
/* Client: proof for a join on stripe. */
int tp_resume_proof(struct tp_session *session, struct tp_stripe *stripe,
                    uint8_t proof[TP_FRAME_PROOF_LEN]);
/*
 * Server: the client hello on the shell session's only stripe asks to
 * join another session. Hands the stripe over (the shell ends with
 * -EALREADY) or refuses (-EACCES / -ENOENT, err filled).
 */
int tp_resume_join(struct tp_session *shell, struct tp_stripe *stripe,
                   const struct tp_frame_hello *hello, struct tp_error *err);
/* Owner's loop: adopt the stripes handed over. */
void tp_resume_adopt(struct tp_session *session);
/* Server: leave the registry (session failing or freed). */
void tp_resume_unregister(struct tp_session *session);
/* No stripe left / one back: outage bookkeeping, detached count. */
void tp_resume_down(struct tp_session *session, const struct tp_error *why);
void tp_resume_up(struct tp_session *session);
void tp_resume_fill_hello(struct tp_stripe *stripe);
/* The peer's hello, sent with stripe_hdr in its frame header. */
int tp_resume_recv_hello(struct tp_stripe *stripe, uint16_t stripe_hdr,
                         const uint8_t *payload, size_t len);
void tp_session_registry_join(struct tp_session *session,
                              struct tp_registry *registry);

/*
 * session.c: build the next channel frame into the replay list; a bulk
 * channel's data only when bulk is true.
 */
bool tp_session_build(struct tp_session *session, bool bulk);
/*
 * bulk_stripes after a measurement in which the bulk stripes had data in
 * flight for busy_us and a full send buffer held them back for limited_us
 * of it: one more (up to open) when that was over a quarter. Pure.
 */
unsigned int tp_bulk_stripes_next(unsigned int bulk, unsigned int open,
                                  uint64_t busy_us, uint64_t limited_us);
/* Whether this open stripe takes new bulk frames (bulk_stripes). */
bool tp_session_stripe_bulk(const struct tp_session *session,
                            const struct tp_stripe *stripe);
/* Client, first connection done: set up the other stripes. */
void tp_session_stripes_start(struct tp_session *session);

/*
 * Test hooks, thread-safe: shut the TCP connections of the stripes in
 * mask down underneath the session (as a network fault would); stop
 * reading one stripe for ms milliseconds; steal another session's
 * credentials (optionally corrupted) for a join.
 */
void tp_session_test_kill(struct tp_session *session, unsigned int mask);
void tp_session_test_hold(struct tp_session *session, unsigned int stripe,
                          unsigned int ms);
void tp_session_test_steal(struct tp_session *thief,
                           const struct tp_session *victim, bool corrupt);
unsigned int tp_session_test_stripes_open(const struct tp_session *session);
/* Sessions of the listener's registry that wait for their client now. */
unsigned int tp_listener_test_detached(const struct tp_listener *listener);
unsigned int tp_registry_test_detached(struct tp_registry *registry);

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
/* A DATA frame went out, already counted in chan->stats. */
void tp_chan_flight_sent(struct tp_chan *chan);
/* The peer granted credit: frames it covers are no longer in flight. */
void tp_chan_flight_credit(struct tp_chan *chan, uint32_t increment);
/* Wire bytes of the frames still in flight. */
uint64_t tp_chan_wire_in_flight(const struct tp_chan *chan);

#endif
