/*
 * tp.h: skyferry transport, the public API.
 *
 * A session is one authenticated TLS 1.3 connection between two hosts; it
 * carries channels, each joining a local fd (unix or TCP socket) to one at
 * the far end. One thread drives a session with tp_session_run(); nothing
 * here is thread-safe except tp_session_stop(). Library code never prints:
 * every call that can fail fills the caller's struct tp_error.
 *
 * Errors latch: the first error of a session (or channel) is kept, every
 * later call on it fails with that error, and a session error also becomes
 * the error of each of its open channels.
 */
#ifndef SKYFERRY_TP_H
#define SKYFERRY_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "transport/tp_error.h"

/*
 * Byte counters. raw counts channel bytes before compression, wire counts
 * what crossed the TLS stream (frame headers included).
 */
struct tp_stats {
	uint64_t tx_raw;
	uint64_t tx_wire;
	uint64_t tx_frames;
	uint64_t tx_frames_bypassed; /* sent raw because compression lost */
	uint64_t rx_raw;
	uint64_t rx_wire;
	uint64_t rx_frames;
	uint64_t tx_resent;    /* channel frames sent again after a loss */
	uint64_t rx_reordered; /* channel frames that arrived ahead of a gap */
	uint64_t rx_duplicate; /* channel frames received twice, dropped */
	uint64_t resumes;      /* connections re-established */
};

/*
 * TLS settings. Exactly one mode:
 *  - X.509: ca_file, cert_file, key_file and allow (both sides verify the
 *    peer's chain and match its identity against allow);
 *  - external PSK (labs): psk_identity and psk_hex (32..128 hex digits).
 * allow is a NULL-terminated list; an entry "dns:NAME", "uri:URI" or
 * "cn:NAME" matches that field only, a bare entry matches a SAN DNS name, a
 * SAN URI or the subject CN. Matching is exact (DNS case-insensitive).
 */
struct tp_tls_conf {
	const char *ca_file;
	const char *cert_file;
	const char *key_file;
	const char *const *allow;
	const char *psk_identity;
	const char *psk_hex;
};

struct tp_session;
struct tp_chan;
struct tp_listener;

/* Codecs (the wire ids of tp_frame.h). */
#define TP_CODEC_RAW  0u
#define TP_CODEC_LZ4  1u
#define TP_CODEC_ZSTD 2u
/*
 * Adaptive (conf only, never on the wire): codec and level follow the
 * measured wire rate and the CPU cost of each codec on recent frames.
 */
#define TP_CODEC_AUTO 255u

/* Channel priorities: control channels are always sent before bulk ones. */
/* conf.resume_timeout_ms when not set */
#define TP_DEFAULT_RESUME_MS 30000u

#define TP_PRIO_CONTROL 0u
#define TP_PRIO_BULK    1u

/*
 * Called on the accepting side for each channel the peer opens. Returns a
 * connected, local fd, which the session then owns, or a negative errno to
 * refuse (the peer's channel is reset).
 */
typedef int (*tp_open_fn)(void *arg, const char *name, unsigned int priority);

/* Session settings; zero fields take the defaults in brackets. */
struct tp_session_conf {
	struct tp_tls_conf tls;
	unsigned int codec;        /* TP_CODEC_* [raw] */
	int codec_level;           /* [codec default]; unused by AUTO */
	uint32_t chan_window;      /* receive buffer and credit per channel,
	                              in raw bytes [four times wire_window,
	                              at most 16 MiB: room for data that
	                              compresses 4:1 to keep wire_window on
	                              the wire; 16 MiB when neither window
	                              is given, for the grown one] */
	uint32_t wire_window;      /* wire bytes a channel may have in
	                              flight: sent, not yet drained at the
	                              far end [chan_window when that was
	                              given, else 1 MiB; when link_mbps is
	                              given, four times it times the round
	                              trip TCP measured before the hello,
	                              1 MiB to 8 MiB: more throughput on long
	                              fat links, but a control frame may
	                              wait behind that much bulk data].
	                              When neither window is given, each
	                              channel's grows from there to 1.5 times
	                              its measured rate times the path's
	                              round trip, up to 8 MiB and the far
	                              end's credit (wire_window.h) */
	uint32_t chan_send_cap;    /* bytes read from a local fd, not yet
	                              sent [256 KiB] */
	uint64_t session_cap;      /* all channel buffers together [room
	                              for 16 channels and twice replay_cap;
	                              a cap given here also limits a sized
	                              chan_window to a quarter of it] */
	uint32_t max_frame;        /* raw bytes per DATA frame [64 KiB] */
	unsigned int keepalive_ms; /* ping interval [1000] */
	unsigned int dead_ms;      /* peer silent this long is dead [5000] */
	unsigned int handshake_ms; /* TCP connect; TLS plus hello
	                              [10000] */
	unsigned int resume_timeout_ms; /* an outage (no connection left)
	                                   longer than this fails the session
	                                   [30000] */
	uint32_t replay_cap;    /* bytes of unacknowledged frames kept for
	                           resending, and of frames held out of order;
	                           both count toward session_cap; a full replay
	                           buffer stalls producers [8 MiB] */
	unsigned int stripes;   /* TCP connections per session, 1..16 [from
	                           the bandwidth-delay product] */
	uint32_t link_mbps;     /* expected link rate, for that product
	                           [1000] */
	uint64_t rate_cap_bps;  /* bandwidth cap: wire bits per second of
	                           all stripes together; bulk DATA waits for
	                           it, control frames borrow [0: none] */
	uint32_t sockbuf;       /* SO_SNDBUF and SO_RCVBUF per stripe [the
	                           BDP share of a stripe, when link_mbps was
	                           given and the share exceeds the kernel's
	                           autotuning; else autotuning] */
	unsigned int max_detached; /* listener: sessions kept while their
	                              client is away [64]; one more that
	                              loses its client fails at once (no
	                              kept one is evicted) and its client's
	                              resume is refused: no such session */
	tp_open_fn on_open;        /* accepting side */
	void *on_open_arg;
};

/*
 * Listen on host:port (port 0 picks one). Returns NULL with err filled.
 * conf is copied; the strings it points to must outlive the listener.
 */
struct tp_listener *tp_listener_new(const struct tp_session_conf *conf,
                                    const char *host, uint16_t port,
                                    struct tp_error *err);
void tp_listener_free(struct tp_listener *listener);
uint16_t tp_listener_port(const struct tp_listener *listener);
int tp_listener_fd(const struct tp_listener *listener);

/*
 * Accept one TCP connection (waits at most timeout_ms, -1 for ever) and
 * return its session, not yet authenticated: call tp_session_handshake().
 * Returns NULL with err filled (-ETIMEDOUT when nobody came).
 */
struct tp_session *tp_listener_accept(struct tp_listener *listener,
                                      int timeout_ms, struct tp_error *err);

/*
 * Connect to host:port and return the session, not yet authenticated.
 * The TCP connect waits at most conf.handshake_ms (-ETIMEDOUT when nobody
 * answers). conf is copied as for tp_listener_new(). NULL with err filled.
 */
struct tp_session *tp_session_connect(const struct tp_session_conf *conf,
                                      const char *host, uint16_t port,
                                      struct tp_error *err);

/*
 * Run the TLS handshake and the protocol hello to completion (at most
 * conf.handshake_ms). Returns 0 once the peer is authenticated and a
 * version is agreed, else a negative errno with err naming the peer and
 * the reason. No channel byte moves before this returns 0.
 *
 * With several stripes it also waits for the others, within the same
 * conf.handshake_ms: a stripe that cannot be made by then does not fail
 * the session. It returns 0 with the stripes that are up, the session
 * carries on over them, and the others are retried in the background
 * (each attempt given conf.handshake_ms, then a back-off of up to 1 s).
 */
int tp_session_handshake(struct tp_session *session, struct tp_error *err);

/*
 * Run the event loop for up to timeout_ms (-1: until stopped, closed or
 * failed). Returns 0, or the session's latched error.
 */
int tp_session_run(struct tp_session *session, int timeout_ms,
                   struct tp_error *err);

/*
 * Set the accepting side's channel callback for this session only (the
 * listener's conf gives the default). Call before tp_session_handshake().
 */
void tp_session_set_on_open(struct tp_session *session, tp_open_fn fn,
                            void *arg);

/* Make tp_session_run() return soon. Safe from any thread. */
void tp_session_stop(struct tp_session *session);

/* Free a session, its channels and their fds; accepts NULL. */
void tp_session_free(struct tp_session *session);

/* Latched error of the session (0 if none), copied into err. */
int tp_session_error(const struct tp_session *session, struct tp_error *err);

/* "addr [identity]" of the peer. Never NULL. */
const char *tp_session_peer(const struct tp_session *session);

/* The peer's authenticated identity ("dns:west", "psk:lab"), "" before. */
const char *tp_session_identity(const struct tp_session *session);

/*
 * The local and peer TCP addresses of the session's first connection, as
 * they were when the handshake finished (either pointer may be NULL).
 * 0, or -ENOTCONN before a handshake.
 */
int tp_session_addrs(const struct tp_session *session,
                     struct sockaddr_storage *local,
                     struct sockaddr_storage *remote);

/* Agreed protocol version, 0 before the hello. */
unsigned int tp_session_version(const struct tp_session *session);

/* Byte counters of the whole session (frame headers included). */
void tp_session_stats(const struct tp_session *session, struct tp_stats *stats);

/* Bytes held in all channel buffers now. */
size_t tp_session_buffered(const struct tp_session *session);

/* Channels open and not yet finished. */
unsigned int tp_session_chan_count(const struct tp_session *session);

/*
 * Open a channel named name (1..64 bytes) joined to local_fd. Takes
 * local_fd, even on failure. The channel belongs to the session: it stays
 * valid until tp_session_free(). Returns NULL with err filled.
 */
struct tp_chan *tp_chan_open(struct tp_session *session, const char *name,
                             unsigned int priority, int local_fd,
                             struct tp_error *err);

/*
 * Thread-safe tp_chan_open(): queue local_fd to be opened as a channel by
 * the thread that runs the session, at its next step (once the session is
 * open). Takes local_fd, even on failure; a channel that cannot be opened
 * closes it, so the poster sees EOF. Returns 0, or -EINVAL for a bad name
 * and -ENOMEM. The session must outlive the call.
 */
int tp_session_post_chan(struct tp_session *session, const char *name,
                         unsigned int priority, int local_fd);

/*
 * Thread-safe: from the session's next step on, keep the channels named
 * name tight (those open then, and those opened with that name later; up
 * to 4 names), for a stream whose far end now waits on what it asked for
 * in it (QEMU's post-copy page requests): at most the path's
 * bandwidth-delay product (x 1.1) in flight instead of up to 1.5 times it
 * over a 1 MiB floor, and 64 KiB read ahead from the local fd instead of
 * chan_send_cap. A reply then queues behind less of the stream, at a
 * little throughput. A window the caller fixed (conf.wire_window or
 * chan_window) stays. Returns 0, or -EINVAL for a bad name and -ENOMEM.
 */
int tp_session_tighten(struct tp_session *session, const char *name);

/*
 * Thread-safe: from the session's next step on, an outage (no connection
 * left) longer than ms fails the session, instead of conf.resume_timeout_ms.
 * An outage under way is measured from its start, so a limit it has
 * already passed fails the session at once. Returns 0, or -EINVAL for 0
 * and -ENOMEM.
 */
int tp_session_set_resume_timeout(struct tp_session *session, unsigned int ms);

/* Channel id on the wire. */
uint32_t tp_chan_id(const struct tp_chan *chan);

/* Both directions finished (EOF each way, or reset). */
bool tp_chan_done(const struct tp_chan *chan);

/* Latched error of the channel (0 if none), copied into err. */
int tp_chan_error(const struct tp_chan *chan, struct tp_error *err);

/* Reset the channel: the far end sees -ECONNRESET. */
void tp_chan_reset(struct tp_chan *chan, int code);

/* Byte counters of one channel (DATA payloads and their headers). */
void tp_chan_stats(const struct tp_chan *chan, struct tp_stats *stats);

#endif
