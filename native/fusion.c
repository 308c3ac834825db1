/*
 * The fused path (see docs/architecture.md, The fused path): an engine bound to one of the addon's
 * TCP sockets, so that ciphertext goes from the socket (its read buffer lent) to the SSL's read
 * BIO, and from the SSL straight to the socket, without entering JavaScript, which sees plaintext
 * only (as Node's TLSWrap, but driven by rxtls's SSLSocket and its Python semantics). This file
 * joins the two through their C APIs: the engine's output hook (engine.h) and the socket's sink
 * and sends (socket.h); engine.c and socket.c know nothing of each other.
 */
#include "fusion.h"
#include "engine.h"
#include "error.h"
#include "inbox.h"
#include "socket.h"
#include <stdlib.h>
#include <string.h>

/* One engine bound to one socket; freed when either lets go of the other, or by unfuse(). */
typedef struct rx_fusion {
  rx_engine *engine;
  rx_socket *socket;
  BIO *bio;       /* the engine's write BIO while fused (its SSL's to free): writes into `out` */
  char *out;      /* ciphertext the engine wrote during the current driving call, not yet sent */
  size_t out_len, out_cap;
} rx_fusion;

static const rx_engine_output fusion_output;
static const rx_socket_sink fusion_sink;

/* Unbinds both sides: the write BIO (the engine's to free) stops reaching this fusion. A loan in
 * progress (the socket's read buffer, or drive()'s input) ends here, while its buffer is still
 * valid; a loss for want of memory is left for the loan's owner to hear when it settles (drive()),
 * and a socket's lost bytes end the stream on an EOF without close_notify: an error, not a
 * silent loss. */
static void detach(rx_fusion *f) {
  rx_inbox_end_loan(f->engine->rbio);
  BIO_set_data(f->bio, NULL);
  f->engine->output = NULL;
  f->engine->output_owner = NULL;
  rx_socket_set_sink(f->socket, NULL, NULL);
  free(f->out);
  free(f);
}

// ---------------------------------------------------------------------------------------------
// The engine's side: its write BIO, and what each driving call wrote

static BIO_METHOD *fusion_bio_method;

/* Collects a driving call's records for one send. */
static int fusion_bio_write(BIO *bio, const char *data, int len) {
  rx_fusion *f = BIO_get_data(bio);
  if (len <= 0) return 0;
  if (f == NULL) return len; /* the socket is gone: nothing can be sent any more */
  size_t need = f->out_len + (size_t)len;
  if (need > RX_SOCKET_SEND_MAX) return -1; /* one call's output; SSL_write refuses such a size first */
  if (need > f->out_cap) {
    size_t cap = f->out_cap == 0 ? 16 * 1024 : f->out_cap;
    while (cap < need) cap *= 2;
    char *grown = realloc(f->out, cap);
    if (grown == NULL) return -1;
    f->out = grown;
    f->out_cap = cap;
  }
  memcpy(f->out + f->out_len, data, (size_t)len);
  f->out_len = need;
  return len;
}

static long fusion_bio_ctrl(BIO *bio, int cmd, long num, void *ptr) {
  (void)bio; (void)num; (void)ptr;
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    default:
      return 0;
  }
}

static int fusion_bio_create(BIO *bio) {
  BIO_set_init(bio, 1);
  return 1;
}

/* After each driving call (engine.c): one send of everything the call wrote. */
static void output_flush(void *owner, rx_output_report *report) {
  rx_fusion *f = owner;
  rx_socket *s = f->socket;
  double sent_before = rx_socket_sent(s);
  bool failed = false;
  if (f->out_len > 0) {
    /* After end() or close() nothing can be sent: the bytes are not counted as sent either. */
    if (rx_socket_writable(s)) failed = rx_socket_send(s, f->out, f->out_len) < 0;
    f->out_len = 0;
    /* An idle connection keeps no staging buffer (a few thousand of them add up). */
    free(f->out);
    f->out = NULL;
    f->out_cap = 0;
  }
  report->queued = rx_socket_queued(s);
  report->sent = rx_socket_sent(s) - sent_before;
  /* Out of memory: the stream cannot go on, and its peer must not wait for bytes never sent.
   * Last: the socket's closing detaches, which frees this fusion. */
  if (failed) rx_socket_reset(s);
}

/* The engine is being freed (destroyed, or collected) while fused. */
static void output_detach(void *owner) { detach(owner); }

static const rx_engine_output fusion_output = {output_flush, output_detach};

// ---------------------------------------------------------------------------------------------
// The socket's side: what it reads is lent to the read BIO (inbox.c) while JS drives the engine

static size_t sink_read(void *context, const char *data, size_t len) {
  rx_fusion *f = context;
  rx_inbox_lend(f->engine->rbio, data, len);
  return BIO_ctrl_pending(f->engine->rbio);
}

/* The read's report has been heard (the engine driven, or not): what OpenSSL has not read of the
 * socket's buffer is copied before the socket reuses it. Out of memory, those bytes are lost and
 * the stream cannot go on: the connection is reset (its closing detaches this fusion). */
static void sink_read_done(void *context) {
  rx_fusion *f = context;
  if (rx_inbox_settle(f->engine->rbio) > 0) rx_socket_reset(f->socket);
}

/* The peer's FIN: an empty read BIO now means the end, not "retry later". */
static void sink_eof(void *context) {
  rx_fusion *f = context;
  BIO_set_mem_eof_return(f->engine->rbio, 0);
}

/* The socket closes while fused: no byte will come any more, so the engine must see the end, as
 * on the peer's FIN; what it writes from now on is dropped. */
static void sink_closed(void *context) {
  rx_fusion *f = context;
  BIO_set_mem_eof_return(f->engine->rbio, 0);
  detach(f);
}

static const rx_socket_sink fusion_sink = {sink_read, sink_read_done, sink_eof, sink_closed};

// ---------------------------------------------------------------------------------------------
// JS functions

/* fuse(socket, engine): the engine's ciphertext travels on this socket from now on. Its read
 * BIO must hold nothing the socket has not fed it, and its write BIO nothing unsent. */
static napi_value fuse(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  rx_socket *s = rx_get_args(env, info, 2, argv) ? rx_socket_unwrap(env, argv[0]) : NULL;
  rx_engine *engine = s == NULL ? NULL : rx_engine_unwrap(env, argv[1]);
  if (engine == NULL) return NULL;
  if (!rx_socket_can_sink(s) || engine->output != NULL || engine->depth > 0 ||
      BIO_ctrl_pending(engine->wbio) > 0 || BIO_ctrl_pending(engine->rbio) > 0) {
    napi_throw_error(env, NULL, "rxtls: the socket or the engine cannot be fused now");
    return NULL;
  }
  rx_fusion *f = calloc(1, sizeof(*f));
  if (f == NULL) {
    napi_throw_error(env, NULL, "rxtls: out of memory");
    return NULL;
  }
  BIO *bio = BIO_new(fusion_bio_method);
  if (bio == NULL) {
    free(f);
    rx_throw_openssl(env, "rxtls: BIO_new failed");
    return NULL;
  }
  f->engine = engine;
  f->socket = s;
  f->bio = bio;
  BIO_set_data(bio, f);
  SSL_set0_wbio(engine->ssl, bio); /* frees the memory BIO it replaces */
  engine->wbio = bio;
  engine->output = &fusion_output;
  engine->output_owner = f;
  rx_socket_set_sink(s, &fusion_sink, f);
  return rx_undefined(env);
}

/* unfuse(socket) -> the ciphertext the engine's read BIO still holds (bytes after the peer's
 * close_notify: a STARTTLS downgrade reads them first). The socket is a plain transport again,
 * and the engine writes into a memory BIO again. */
static napi_value unfuse(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  rx_socket *s = rx_get_args(env, info, 1, argv) ? rx_socket_unwrap(env, argv[0]) : NULL;
  if (s == NULL) return NULL;
  rx_fusion *f = rx_socket_sink_context(s, &fusion_sink);
  if (f == NULL) return rx_buffer(env, (const unsigned char *)"", 0);
  rx_engine *engine = f->engine;
  size_t pending = BIO_ctrl_pending(engine->rbio);
  napi_value leftover;
  void *data;
  if (napi_create_buffer(env, pending, &data, &leftover) != napi_ok) return NULL;
  if (pending > 0) BIO_read(engine->rbio, data, (int)pending);
  BIO *bio = BIO_new(BIO_s_mem());
  if (bio == NULL) {
    rx_throw_openssl(env, "rxtls: BIO_new failed");
    return NULL;
  }
  BIO_set_mem_eof_return(bio, -1);
  /* Detach first: SSL_set0_wbio frees the fusion's BIO. */
  detach(f);
  SSL_set0_wbio(engine->ssl, bio);
  engine->wbio = bio;
  return leftover;
}

static CRYPTO_ONCE bio_method_once = CRYPTO_ONCE_STATIC_INIT;

/* Once per process, whichever thread (worker) loads the addon first. */
static void make_bio_method(void) {
  BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rxtls socket");
  if (method == NULL || !BIO_meth_set_write(method, fusion_bio_write) ||
      !BIO_meth_set_ctrl(method, fusion_bio_ctrl) || !BIO_meth_set_create(method, fusion_bio_create)) {
    BIO_meth_free(method);
    return;
  }
  fusion_bio_method = method;
}

napi_value rx_fusion_init(napi_env env, napi_value exports) {
  if (!CRYPTO_THREAD_run_once(&bio_method_once, make_bio_method) || fusion_bio_method == NULL) {
    napi_throw_error(env, NULL, "rxtls: BIO_meth_new failed");
    return NULL;
  }
  napi_value sockets;
  if (napi_get_named_property(env, exports, "socket", &sockets) != napi_ok) return NULL;
  napi_property_descriptor props[] = {
    RX_METHOD("fuse", fuse),
    RX_METHOD("unfuse", unfuse),
  };
  RX_DEFINE(env, sockets, props);
  return exports;
}
