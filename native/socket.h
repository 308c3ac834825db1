/*
 * TCP on Node's libuv loop (socket.c): a plain byte transport for JS, whose reads a sink can take
 * instead, and a C API to send bytes. fusion.c builds the fused path on these (see
 * docs/architecture.md, The fused path); socket.c knows nothing of OpenSSL.
 */
#ifndef RXTLS_SOCKET_H
#define RXTLS_SOCKET_H

#include "addon.h"

typedef struct rx_socket rx_socket;

/* Where a socket's reads go instead of JS while it is installed. Called on the loop, outside any
 * JS call; none of them may close the socket but read_done, which may reset it. */
typedef struct rx_socket_sink {
  /* Takes `len` bytes read, valid until read_done (the socket's read buffer is lent); answers how
   * many bytes the consumer now holds (reported to JS with EV_FED). */
  size_t (*read)(void *context, const char *data, size_t len);
  /* After EV_FED's callback returned, if the sink is still installed: the lent bytes are about
   * to be reused (a sink removed meanwhile has let go of them when it was). */
  void (*read_done)(void *context);
  /* The peer's FIN: no byte will come any more (EV_END follows). */
  void (*eof)(void *context);
  /* The socket closes: no byte will come and none can be sent. The sink is already removed. */
  void (*closed)(void *context);
} rx_socket_sink;

/* The most one rx_socket_send takes. */
#define RX_SOCKET_SEND_MAX ((size_t)8 << 30)

/* Defines the `socket` object of exports, with its functions. */
napi_value rx_socket_init(napi_env env, napi_value exports);
/* The socket behind a JS handle, or NULL with a JS exception. */
rx_socket *rx_socket_unwrap(napi_env env, napi_value value);

/* Whether a sink may be installed: the socket is open, not a listener, and has none. */
bool rx_socket_can_sink(const rx_socket *s);
/* Installs `sink` with its context (checked by rx_socket_can_sink), or removes it (NULL). */
void rx_socket_set_sink(rx_socket *s, const rx_socket_sink *sink, void *context);
/* The context `sink` was installed with, or NULL when another sink or none is installed. */
void *rx_socket_sink_context(const rx_socket *s, const rx_socket_sink *sink);

/* Whether bytes can still be sent: the socket is neither closing nor ended (end()). */
bool rx_socket_writable(const rx_socket *s);
/* Sends as write() does: what the kernel takes now, a copy of the rest queued behind what waits.
 * Counted in rx_socket_sent unless the socket is not writable, when nothing is sent (UV_EPIPE).
 * Answers 0 or a negative libuv error (out of memory: the bytes are lost). */
int rx_socket_send(rx_socket *s, const char *data, size_t len);
/* Closes now with RST: queued writes are dropped, and the sink is told. */
void rx_socket_reset(rx_socket *s);
/* Bytes in write requests the kernel has not taken yet. */
size_t rx_socket_queued(const rx_socket *s);
/* Every byte rx_socket_send has counted since the socket was made. */
double rx_socket_sent(const rx_socket *s);

#endif
