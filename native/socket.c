/*
 * TCP in C on Node's own libuv loop. A socket is a plain byte transport (each read becomes a JS
 * Buffer) unless a sink takes what it reads: fusion.c installs one for the fused path (see
 * docs/architecture.md, The fused path), where ciphertext goes from the socket into an SSL's read
 * BIO and from the SSL straight to the socket without entering JavaScript. This file knows
 * nothing of OpenSSL: it hands its reads, the peer's FIN and its closing to the sink, and offers a
 * C API to send bytes. Reading, writing and closing stay asynchronous and are reported as events:
 * events(kind, a, b), with the EV_* kinds of abi.h, which
 * src/transport/engines/native/native-tcp.ts handles under the same names (SocketEvent in
 * native-binding.ts, from the generated abi.ts).
 */
#define _GNU_SOURCE /* libuv's headers need POSIX types that -std=c11 hides */
#include "socket.h"
#include "abi.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#ifndef _WIN32
#include <sys/socket.h>
#include <unistd.h>
#endif

/* The most one uv_buf_t carries (its length is an unsigned int): larger sends go in pieces. */
#define MAX_PIECE ((size_t)1 << 30)
/* A write goes as at most eight pieces: the limit socket.h announces. */
_Static_assert(RX_SOCKET_SEND_MAX == 8 * MAX_PIECE, "RX_SOCKET_SEND_MAX is eight pieces");

/* What one read takes from the kernel: a few records, the size Node's own reads use. */
#define READ_SIZE (64 * 1024)

struct rx_socket {
  uv_tcp_t tcp; /* tcp.data points back here */
  napi_env env;
  napi_ref self;   /* strong while the handle is open: an open socket is never collected */
  napi_ref events; /* events(kind, a, b) */
  napi_async_context async; /* its own, so async_hooks and AsyncLocalStorage see each socket */
  const rx_socket_sink *sink; /* where reads go instead of JS (fused mode), or NULL */
  void *sink_context;
  size_t queued;     /* bytes in write requests the kernel has not taken yet */
  double sent;       /* every byte rx_socket_send handed to the kernel or queued for it */
  bool listener, reading, shut, closing, closed, finalized;
  struct rx_instance *instance;
  rx_socket *prev, *next; /* the instance's open handles */
};

typedef struct {
  uv_write_t req;
  rx_socket *socket;
  char *data;
  size_t len;
} rx_write;

typedef struct rx_instance {
  char read_buffer[READ_SIZE]; /* one per thread's loop: each read is consumed before the next */
  rx_socket *open;  /* handles not yet closed */
  bool tearing_down;
  napi_async_cleanup_hook_handle cleanup;
} rx_instance;


// ---------------------------------------------------------------------------------------------
// Events into JS

/* Calls events(kind, a, b) as a libuv callback must: through napi_make_callback, so that
 * promises and process.nextTick run after it, and with an exception reported as uncaught. The
 * caller has opened a handle scope for a and b. */
static void emit(rx_socket *s, int kind, napi_value a, napi_value b) {
  napi_env env = s->env;
  napi_value fn, self, argv[3], result;
  if (s->events == NULL || napi_get_reference_value(env, s->events, &fn) != napi_ok || fn == NULL)
    return;
  if (s->self == NULL || napi_get_reference_value(env, s->self, &self) != napi_ok || self == NULL)
    return;
  napi_create_int32(env, kind, &argv[0]);
  argv[1] = a != NULL ? a : rx_undefined(env);
  argv[2] = b != NULL ? b : rx_undefined(env);
  napi_status status =
      napi_make_callback(env, s->async, self, fn, 3, argv, &result);
  if (status == napi_pending_exception) {
    napi_value error;
    if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
  }
}

static void emit_numbers(rx_socket *s, int kind, double a, double b) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
  napi_value va, vb;
  napi_create_double(s->env, a, &va);
  napi_create_double(s->env, b, &vb);
  emit(s, kind, va, vb);
  napi_close_handle_scope(s->env, scope);
}

static void emit_error(rx_socket *s, int kind, int code) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
  napi_value va, vb;
  napi_create_int32(s->env, code, &va);
  napi_create_string_utf8(s->env, code == 0 ? "" : uv_err_name(code), NAPI_AUTO_LENGTH, &vb);
  emit(s, kind, va, vb);
  napi_close_handle_scope(s->env, scope);
}

// ---------------------------------------------------------------------------------------------
// Lifetime

static void on_close(uv_handle_t *handle) {
  rx_socket *s = handle->data;
  s->closed = true;
  rx_instance *instance = s->instance;
  if (s->prev != NULL) s->prev->next = s->next; else instance->open = s->next;
  if (s->next != NULL) s->next->prev = s->prev;
  if (instance->tearing_down) {
    if (s->finalized) free(s);
    if (instance->open == NULL) napi_remove_async_cleanup_hook(instance->cleanup);
    return;
  }
  if (s->finalized) {
    free(s);
    return;
  }
  emit_numbers(s, EV_CLOSE, 0, 0);
  napi_env env = s->env;
  if (s->async != NULL) napi_async_destroy(env, s->async);
  s->async = NULL;
  if (s->events != NULL) napi_delete_reference(env, s->events);
  s->events = NULL;
  /* JS may collect the handle object now; its finalizer frees the memory. */
  if (s->self != NULL) napi_delete_reference(env, s->self);
  s->self = NULL;
}

static void close_socket(rx_socket *s, bool reset) {
  if (s->closing) return;
  s->closing = true;
  /* No byte will come any more, and none can be sent: the sink is told, and let go. */
  const rx_socket_sink *sink = s->sink;
  void *context = s->sink_context;
  s->sink = NULL;
  s->sink_context = NULL;
  if (sink != NULL) sink->closed(context);
  if (s->reading) uv_read_stop((uv_stream_t *)&s->tcp);
  s->reading = false;
  if (!reset || s->listener || uv_tcp_close_reset(&s->tcp, on_close) != 0)
    uv_close((uv_handle_t *)&s->tcp, on_close);
}

static void finalize_socket(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  rx_socket *s = data;
  if (s->closed) {
    free(s);
    return;
  }
  /* The environment is going away with the handle open: free it once libuv has closed it. */
  s->finalized = true;
  s->events = NULL;
  s->self = NULL;
  close_socket(s, false);
}

/* A new socket and its JS handle object (held strongly until the handle closes). */
static rx_socket *new_socket(napi_env env, napi_value *handle) {
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  rx_socket *s = calloc(1, sizeof(*s));
  if (s == NULL) return NULL;
  s->env = env;
  if (uv_tcp_init(loop, &s->tcp) != 0) {
    free(s);
    return NULL;
  }
  s->tcp.data = s;
  napi_get_instance_data(env, (void **)&s->instance);
  s->next = s->instance->open;
  if (s->next != NULL) s->next->prev = s;
  s->instance->open = s;
  if (napi_create_object(env, handle) != napi_ok ||
      napi_wrap(env, *handle, s, finalize_socket, NULL, NULL) != napi_ok) {
    s->finalized = true;
    uv_close((uv_handle_t *)&s->tcp, on_close);
    return NULL;
  }
  napi_create_reference(env, *handle, 1, &s->self);
  napi_value name;
  napi_create_string_utf8(env, "rxtls:socket", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, *handle, name, &s->async);
  return s;
}

rx_socket *rx_socket_unwrap(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_unwrap(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "rxtls: not a native socket");
    return NULL;
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// Reading

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  /* One buffer serves every socket of a loop: each read is consumed before the next is made. */
  rx_socket *s = handle->data;
  buf->base = s->instance->read_buffer;
  buf->len = sizeof(s->instance->read_buffer);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  rx_socket *s = stream->data;
  if (nread == 0) return;
  if (nread > 0) {
    if (s->sink != NULL) {
      const rx_socket_sink *sink = s->sink;
      void *context = s->sink_context;
      size_t held = sink->read(context, buf->base, (size_t)nread);
      emit_numbers(s, EV_FED, (double)nread, (double)held);
      /* The socket outlives this callback even if JS closed it (freed in on_close). A sink
       * removed meanwhile let go of the bytes when it was; one installed anew in its place (even
       * at the same address) has nothing lent, and its read_done does nothing. */
      if (s->sink == sink && s->sink_context == context) sink->read_done(context);
      return;
    }
    napi_handle_scope scope;
    if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
    emit(s, EV_DATA, rx_buffer(s->env, (const unsigned char *)buf->base, (size_t)nread), NULL);
    napi_close_handle_scope(s->env, scope);
    return;
  }
  uv_read_stop(stream);
  s->reading = false;
  if (nread == UV_EOF) {
    if (s->sink != NULL) s->sink->eof(s->sink_context);
    emit_numbers(s, EV_END, 0, 0);
  } else {
    emit_error(s, EV_ERROR, (int)nread);
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

static void on_write(uv_write_t *req, int status) {
  rx_write *w = (rx_write *)req;
  rx_socket *s = w->socket;
  s->queued -= w->len;
  free(w->data);
  free(w);
  if (s->closing) return;
  if (status < 0)
    emit_error(s, EV_WRITE_ERROR, status);
  else if (s->queued == 0)
    emit_numbers(s, EV_DRAIN, 0, 0);
}

/* Queues `data` (which the request takes over, malloc'd) behind what is already queued. */
static int queue_owned(rx_socket *s, char *data, size_t len) {
  rx_write *w = malloc(sizeof(*w));
  if (w == NULL) {
    free(data);
    return UV_ENOMEM;
  }
  w->socket = s;
  w->data = data;
  w->len = len;
  /* A request over MAX_PIECE goes as several buffers of one write. */
  uv_buf_t bufs[8];
  unsigned int count = 0;
  for (size_t done = 0; done < len && count < 8; count++) {
    size_t piece = len - done < MAX_PIECE ? len - done : MAX_PIECE;
    bufs[count] = uv_buf_init(data + done, (unsigned int)piece);
    done += piece;
  }
  int r = uv_write(&w->req, (uv_stream_t *)&s->tcp, bufs, count, on_write);
  if (r < 0) {
    free(data);
    free(w);
    return r;
  }
  s->queued += len;
  return 0;
}

/* What the kernel takes now of `len` bytes, without waiting (0 when it is full). Errors other
 * than EAGAIN are left to uv_write, which reports them through on_write. */
static size_t try_send(rx_socket *s, const char *data, size_t len) {
  size_t done = 0;
  while (done < len) {
    size_t piece = len - done < MAX_PIECE ? len - done : MAX_PIECE;
    uv_buf_t buf = uv_buf_init((char *)data + done, (unsigned int)piece);
    int n = uv_try_write((uv_stream_t *)&s->tcp, &buf, 1);
    if (n <= 0) break;
    done += (size_t)n;
    if ((size_t)n < piece) break;
  }
  return done;
}

/* Sends what it can now (one syscall when nothing waits ahead), queues the rest as a copy. */
static int send_bytes(rx_socket *s, const char *data, size_t len) {
  if (s->closing || s->shut) return UV_EPIPE;
  if (len > RX_SOCKET_SEND_MAX) return UV_E2BIG;
  size_t done = 0;
  if (s->queued == 0) done = try_send(s, data, len);
  if (done == len) return 0;
  char *copy = malloc(len - done);
  if (copy == NULL) return UV_ENOMEM;
  memcpy(copy, data + done, len - done);
  return queue_owned(s, copy, len - done);
}

// ---------------------------------------------------------------------------------------------
// The C API (socket.h): what fusion.c sends and reads through

bool rx_socket_can_sink(const rx_socket *s) {
  return s->sink == NULL && !s->closing && !s->listener;
}

void rx_socket_set_sink(rx_socket *s, const rx_socket_sink *sink, void *context) {
  s->sink = sink;
  s->sink_context = sink == NULL ? NULL : context;
}

void *rx_socket_sink_context(const rx_socket *s, const rx_socket_sink *sink) {
  return s->sink == sink ? s->sink_context : NULL;
}

bool rx_socket_writable(const rx_socket *s) { return !s->closing && !s->shut; }

int rx_socket_send(rx_socket *s, const char *data, size_t len) {
  if (!rx_socket_writable(s)) return UV_EPIPE;
  s->sent += (double)len;
  return send_bytes(s, data, len);
}

void rx_socket_reset(rx_socket *s) { close_socket(s, true); }

size_t rx_socket_queued(const rx_socket *s) { return s->queued; }

double rx_socket_sent(const rx_socket *s) { return s->sent; }

// ---------------------------------------------------------------------------------------------
// JS functions

static napi_value undefined_or_throw(napi_env env, int r) {
  if (r >= 0) return rx_undefined(env);
  napi_throw_error(env, uv_err_name(r), uv_strerror(r));
  return NULL;
}

/* The socket a call is about (its first argument), with the call's other arguments in argv. */
static rx_socket *socket_call(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  if (!rx_get_args(env, info, want, argv)) return NULL;
  return rx_socket_unwrap(env, argv[0]);
}

static int parse_address(napi_env env, napi_value host, napi_value port, struct sockaddr_storage *out) {
  char text[64];
  size_t len = 0;
  int32_t number = 0;
  if (napi_get_value_string_utf8(env, host, text, sizeof(text), &len) != napi_ok ||
      napi_get_value_int32(env, port, &number) != napi_ok || number < 0 || number > 65535)
    return UV_EINVAL;
  if (strchr(text, ':') != NULL) return uv_ip6_addr(text, number, (struct sockaddr_in6 *)out);
  return uv_ip4_addr(text, number, (struct sockaddr_in *)out);
}

static void free_handle(uv_handle_t *handle) { free(handle); }

static void on_connection(uv_stream_t *server, int status) {
  rx_socket *listener = server->data;
  if (status < 0) {
    emit_error(listener, EV_ERROR, status);
    return;
  }
  napi_handle_scope scope;
  if (napi_open_handle_scope(listener->env, &scope) != napi_ok) return;
  napi_value handle;
  rx_socket *s = new_socket(listener->env, &handle);
  if (s == NULL) {
    /* Out of memory: the connection is refused, or libuv would stop accepting altogether. */
    uv_tcp_t *refused = malloc(sizeof(*refused));
    if (refused != NULL && uv_tcp_init(server->loop, refused) == 0) {
      uv_accept(server, (uv_stream_t *)refused);
      uv_close((uv_handle_t *)refused, free_handle);
    } else {
      free(refused);
    }
  } else if (uv_accept(server, (uv_stream_t *)&s->tcp) == 0) {
    uv_tcp_nodelay(&s->tcp, 1);
    emit(listener, EV_CONNECTION, handle, NULL);
  } else {
    close_socket(s, false);
  }
  napi_close_handle_scope(listener->env, scope);
}

/* What listen() and connect() begin with: `host:port` parsed, and a new socket that reports to
 * `events`. NULL with *error set (a libuv error number) when either fails. */
static rx_socket *socket_for(napi_env env, napi_value host, napi_value port, napi_value events,
                             struct sockaddr_storage *address, napi_value *handle, int *error) {
  *error = parse_address(env, host, port, address);
  if (*error < 0) return NULL;
  rx_socket *s = new_socket(env, handle);
  if (s == NULL) {
    *error = UV_ENOMEM;
    return NULL;
  }
  napi_create_reference(env, events, 1, &s->events);
  return s;
}

/* listen(host, port, backlog, events) -> listener handle */
/* SO_REUSEPORT on a new socket for `address`, handed to the handle before it binds: every process
 * of one server binds the same address, and the kernel spreads connections over those that listen
 * (docs/architecture.md, Serving on every core). */
static int open_reusable(rx_socket *s, const struct sockaddr_storage *address) {
#if defined(SO_REUSEPORT) && !defined(_WIN32)
  int fd = socket(address->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return uv_translate_sys_error(errno);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
    int error = uv_translate_sys_error(errno);
    close(fd);
    return error;
  }
  int r = uv_tcp_open(&s->tcp, fd);
  if (r < 0) close(fd);
  return r;
#else
  (void)s;
  (void)address;
  return UV_ENOTSUP;
#endif
}

/* listen(host, port, backlog, events, reusePort, listening): a listener; with reusePort, one of
 * several sockets on the same address (SO_REUSEPORT); with listening false, the address is only
 * bound (held for the processes that will listen on it). */
static napi_value listen_tcp(napi_env env, napi_callback_info info) {
  napi_value argv[6], handle;
  if (!rx_get_args(env, info, 6, argv)) return NULL;
  struct sockaddr_storage address;
  int32_t backlog = 511;
  bool reuse_port = false, listening = true;
  napi_get_value_int32(env, argv[2], &backlog);
  napi_get_value_bool(env, argv[4], &reuse_port);
  napi_get_value_bool(env, argv[5], &listening);
  int r;
  rx_socket *s = socket_for(env, argv[0], argv[1], argv[3], &address, &handle, &r);
  if (s == NULL) return undefined_or_throw(env, r);
  s->listener = true;
  r = reuse_port ? open_reusable(s, &address) : 0;
  if (r == 0) r = uv_tcp_bind(&s->tcp, (const struct sockaddr *)&address, 0);
  if (r == 0 && listening) r = uv_listen((uv_stream_t *)&s->tcp, backlog, on_connection);
  if (r < 0) {
    close_socket(s, false);
    return undefined_or_throw(env, r);
  }
  return handle;
}

static void on_connect(uv_connect_t *req, int status) {
  rx_socket *s = req->data;
  free(req);
  if (s->closing) return;
  if (status == 0) uv_tcp_nodelay(&s->tcp, 1);
  emit_error(s, EV_CONNECT, status);
}

/* connect(host, port, events) -> socket handle; EV_CONNECT tells how it went */
static napi_value connect_tcp(napi_env env, napi_callback_info info) {
  napi_value argv[3], handle;
  if (!rx_get_args(env, info, 3, argv)) return NULL;
  struct sockaddr_storage address;
  int r;
  rx_socket *s = socket_for(env, argv[0], argv[1], argv[2], &address, &handle, &r);
  if (s == NULL) return undefined_or_throw(env, r);
  uv_connect_t *req = malloc(sizeof(*req));
  if (req == NULL) r = UV_ENOMEM;
  if (r == 0) {
    req->data = s;
    r = uv_tcp_connect(req, &s->tcp, (const struct sockaddr *)&address, on_connect);
    if (r < 0) free(req);
  }
  if (r < 0) {
    close_socket(s, false);
    return undefined_or_throw(env, r);
  }
  return handle;
}

/* setEvents(socket, events): where an accepted socket reports (before it reads). */
static napi_value set_events(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  rx_socket *s = socket_call(env, info, 2, argv);
  if (s == NULL) return NULL;
  if (s->closing) return rx_undefined(env);
  if (s->events != NULL) napi_delete_reference(env, s->events);
  napi_create_reference(env, argv[1], 1, &s->events);
  return rx_undefined(env);
}

/* write(socket, bytes) -> bytes still queued after it (0: the kernel took everything) */
static napi_value write_bytes(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  rx_socket *s = socket_call(env, info, 2, argv);
  if (s == NULL) return NULL;
  void *data;
  size_t len;
  if (!rx_buffer_data(env, argv[1], &data, &len)) {
    napi_throw_type_error(env, NULL, "write: bytes must be a Uint8Array");
    return NULL;
  }
  if (len > 0) {
    int r = send_bytes(s, data, len);
    if (r < 0) return undefined_or_throw(env, r);
  }
  napi_create_double(env, (double)s->queued, &result);
  return result;
}

static napi_value read_start(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  rx_socket *s = socket_call(env, info, 1, argv);
  if (s == NULL) return NULL;
  if (s->reading || s->closing) return rx_undefined(env);
  int r = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
  if (r == 0) s->reading = true;
  /* After the peer's FIN libuv refuses to read again: that is not an error here. */
  return rx_undefined(env);
}

static napi_value read_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  rx_socket *s = socket_call(env, info, 1, argv);
  if (s == NULL) return NULL;
  if (s->reading) uv_read_stop((uv_stream_t *)&s->tcp);
  s->reading = false;
  return rx_undefined(env);
}

/* setNoDelay(socket, on): TCP_NODELAY (every socket starts with it on). */
static napi_value set_no_delay(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  rx_socket *s = socket_call(env, info, 2, argv);
  if (s == NULL) return NULL;
  bool on = true;
  napi_get_value_bool(env, argv[1], &on);
  if (s->closing) return rx_undefined(env);
  return undefined_or_throw(env, uv_tcp_nodelay(&s->tcp, on ? 1 : 0));
}

/* ref(socket, on): whether the open socket keeps Node's event loop alive (as net.Socket's
 * ref()/unref()). */
static napi_value set_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  rx_socket *s = socket_call(env, info, 2, argv);
  if (s == NULL) return NULL;
  bool on = true;
  napi_get_value_bool(env, argv[1], &on);
  if (s->closing) return rx_undefined(env);
  if (on)
    uv_ref((uv_handle_t *)&s->tcp);
  else
    uv_unref((uv_handle_t *)&s->tcp);
  return rx_undefined(env);
}

/* setKeepAlive(socket, on, delaySeconds): TCP keepalive probes after that long idle. */
static napi_value set_keep_alive(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  rx_socket *s = socket_call(env, info, 3, argv);
  if (s == NULL) return NULL;
  bool on = false;
  uint32_t delay = 0;
  napi_get_value_bool(env, argv[1], &on);
  napi_get_value_uint32(env, argv[2], &delay);
  if (s->closing) return rx_undefined(env);
  return undefined_or_throw(env, uv_tcp_keepalive(&s->tcp, on ? 1 : 0, delay));
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  rx_socket *s = req->data;
  free(req);
  if (s->closing) return;
  emit_error(s, EV_FINISH, status);
}

/* end(socket): our FIN, after every queued write. */
static napi_value end_socket(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  rx_socket *s = socket_call(env, info, 1, argv);
  if (s == NULL) return NULL;
  if (s->shut || s->closing) return rx_undefined(env);
  s->shut = true;
  uv_shutdown_t *req = malloc(sizeof(*req));
  if (req == NULL) return undefined_or_throw(env, UV_ENOMEM);
  req->data = s;
  int r = uv_shutdown(req, (uv_stream_t *)&s->tcp, on_shutdown);
  if (r < 0) free(req);
  return undefined_or_throw(env, r);
}

/* close(socket, reset): closes now (queued writes are dropped); reset sends RST. */
static napi_value close_js(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  rx_socket *s = socket_call(env, info, 2, argv);
  if (s == NULL) return NULL;
  bool reset = false;
  napi_get_value_bool(env, argv[1], &reset);
  close_socket(s, reset);
  return rx_undefined(env);
}

/* address(socket, remote) -> [address, family, port] | null */
static napi_value address(napi_env env, napi_callback_info info) {
  napi_value argv[2], result, parts[3];
  rx_socket *s = socket_call(env, info, 2, argv);
  if (s == NULL) return NULL;
  bool remote = false;
  napi_get_value_bool(env, argv[1], &remote);
  struct sockaddr_storage storage;
  int len = sizeof(storage);
  if (s->closing) return rx_null(env);
  int r = remote ? uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&storage, &len)
                 : uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&storage, &len);
  if (r != 0) return rx_null(env);
  char text[64] = "";
  int port = 0;
  const char *family;
  if (storage.ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&storage;
    uv_ip6_name(a, text, sizeof(text));
    port = ntohs(a->sin6_port);
    family = "IPv6";
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&storage;
    uv_ip4_name(a, text, sizeof(text));
    port = ntohs(a->sin_port);
    family = "IPv4";
  }
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &parts[0]);
  napi_create_string_utf8(env, family, NAPI_AUTO_LENGTH, &parts[1]);
  napi_create_int32(env, port, &parts[2]);
  napi_create_array_with_length(env, 3, &result);
  for (uint32_t i = 0; i < 3; i++) napi_set_element(env, result, i, parts[i]);
  return result;
}

/* Environment teardown (worker exit): every handle must be closed, and its close callback run,
 * before Node unloads this library. */
static void teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  rx_instance *instance = arg;
  instance->tearing_down = true;
  instance->cleanup = handle;
  if (instance->open == NULL) {
    napi_remove_async_cleanup_hook(handle);
    return;
  }
  for (rx_socket *s = instance->open; s != NULL; s = s->next) close_socket(s, false);
}

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  free(data);
}

napi_value rx_socket_init(napi_env env, napi_value exports) {
  rx_instance *instance = calloc(1, sizeof(*instance));
  if (instance == NULL || napi_set_instance_data(env, instance, free_instance, NULL) != napi_ok) {
    free(instance);
    napi_throw_error(env, NULL, "rxtls: socket setup failed");
    return NULL;
  }
  napi_add_async_cleanup_hook(env, teardown, instance, NULL);
  napi_property_descriptor props[] = {
    RX_METHOD("listen", listen_tcp),
    RX_METHOD("connect", connect_tcp),
    RX_METHOD("setEvents", set_events),
    RX_METHOD("write", write_bytes),
    RX_METHOD("readStart", read_start),
    RX_METHOD("readStop", read_stop),
    RX_METHOD("setNoDelay", set_no_delay),
    RX_METHOD("setKeepAlive", set_keep_alive),
    RX_METHOD("ref", set_ref),
    RX_METHOD("end", end_socket),
    RX_METHOD("close", close_js),
    RX_METHOD("address", address),
  };
  napi_value sockets;
  napi_create_object(env, &sockets);
  RX_DEFINE(env, sockets, props);
  napi_set_named_property(env, exports, "socket", sockets);
  return exports;
}
