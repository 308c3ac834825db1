/*
 * One SSL per connection over two memory BIOs, driven synchronously as CPython's _ssl.c drives
 * SSLObject: every call feeds the read BIO, runs one OpenSSL operation, and hands back the write
 * BIO's bytes, the error description (never thrown: the bytes moved must still be accounted for),
 * and the ciphertext left unread after a close_notify.
 */
#include "engine.h"
#include "abi.h"
#include "context.h"
#include "error.h"
#include "inbox.h"
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

/* One TLS record's plaintext: the most a single SSL_read_ex returns without read-ahead. */
#define READ_CHUNK 16384
/* The most OP_READ_AVAILABLE gathers in one call: four records, the secure stream's read size. */
#define READ_AVAILABLE_MAX (4 * READ_CHUNK)
/* A server SSL's session ID context comes from its context (SSLContext.sessionIdContext, "rxtls"
 * by default: the same on every process and machine, so sessions resume across a fleet and
 * client authentication does not refuse resumption). Clients keep none: OpenSSL compares a
 * resumed session's context with the client's own, and PSK sessions carry none. */
static bool bind_session_id_context(SSL *ssl, SSL_CTX *ctx) {
  const rx_ctx_data *data = SSL_CTX_get_ex_data(ctx, rx_ctx_data_index());
  if (data == NULL || data->sid_ctx_len == 0) return true;
  return SSL_set_session_id_context(ssl, data->sid_ctx, data->sid_ctx_len) == 1;
}
/* Python's PySSL_CB_MAXLEN: the largest Finished message kept for tls-unique. */
#define CB_MAXLEN 128

/* A resumable session: one SSL_SESSION reference owned by a JS object. */
typedef struct rx_session {
  SSL_SESSION *session;
} rx_session;

/*
 * What one live SSL holds outside V8's heap (its record buffers, its two memory BIOs, the handshake
 * state), told to V8 so that engines dropped without destroy() are collected before thousands of
 * them pile up: V8 schedules collections by the memory it knows about.
 */
#define ENGINE_EXTERNAL_BYTES (64 * 1024)

static void release(rx_engine *engine) {
  const rx_engine_output *output = engine->output;
  if (output != NULL) {
    engine->output = NULL;
    output->detach(engine->output_owner);
    engine->output_owner = NULL;
  }
  if (engine->ssl != NULL) {
    SSL_set_app_data(engine->ssl, NULL);
    SSL_free(engine->ssl); /* frees both BIOs */
    engine->ssl = NULL;
    engine->rbio = NULL;
    engine->wbio = NULL;
    if (engine->counted) {
      int64_t total;
      napi_adjust_external_memory(engine->env, -ENGINE_EXTERNAL_BYTES, &total);
      engine->counted = false;
    }
  }
}

static void finalize_engine(napi_env env, void *data, void *hint) {
  (void)hint;
  rx_engine *engine = data;
  release(engine);
  free(engine->hostname);
  free(engine);
}

static void finalize_session(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  rx_session *session = data;
  SSL_SESSION_free(session->session);
  free(session);
}

/* The live engine behind a JS handle, or NULL (with a JS exception) when destroyed or invalid. */
static rx_engine *live_engine(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_unwrap(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "rxtls: not a native engine");
    return NULL;
  }
  rx_engine *engine = data;
  if (engine->destroyed || engine->ssl == NULL) {
    napi_throw_error(env, "ERR_RXTLS_DESTROYED", "rxtls: the engine was destroyed");
    return NULL;
  }
  return engine;
}

rx_engine *rx_engine_unwrap(napi_env env, napi_value value) { return live_engine(env, value); }

// ---------------------------------------------------------------------------------------------
// Callbacks from OpenSSL into JS

/* The engine an OpenSSL callback is about, or NULL when it must not reach JS any more. */
static rx_engine *callback_engine(const SSL *ssl) {
  rx_engine *engine = SSL_get_app_data(ssl);
  if (engine == NULL || engine->destroyed || engine->dispatch == NULL) return NULL;
  return engine;
}

/* Calls dispatch(kind, arg); NULL if it threw (the exception is cleared: the caller answers
 * OpenSSL with the documented failure instead). Must run inside a handle scope. */
static napi_value dispatch(rx_engine *engine, const char *kind, napi_value arg) {
  napi_env env = engine->env;
  napi_value fn = engine->dispatch, global, argv[2], result;
  napi_get_global(env, &global);
  napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &argv[0]);
  argv[1] = arg;
  if (napi_call_function(env, global, fn, 2, argv, &result) != napi_ok) {
    napi_value ignored;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) napi_get_and_clear_last_exception(env, &ignored);
    return NULL;
  }
  return result;
}

static napi_value string_or_null(napi_env env, const char *text) {
  napi_value v;
  if (text == NULL) return rx_null(env);
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v) != napi_ok) return rx_null(env);
  return v;
}

void rx_keylog_cb(const SSL *ssl, const char *line) {
  rx_engine *engine = callback_engine(ssl);
  if (engine == NULL || line == NULL) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(engine->env, &scope) != napi_ok) return;
  dispatch(engine, "keylog", string_or_null(engine->env, line));
  napi_close_handle_scope(engine->env, scope);
}

/* Python's _servername_callback: the hook answers continue (negative) or an alert number; a hook
 * that throws is a handshake_failure alert (the TS side catches user errors itself). */
int rx_servername_cb(SSL *ssl, int *alert, void *arg) {
  (void)arg;
  rx_engine *engine = callback_engine(ssl);
  if (engine == NULL) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  napi_env env = engine->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  int ret = SSL_TLSEXT_ERR_OK;
  const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  napi_value result = dispatch(engine, "sni", string_or_null(env, name));
  double answer;
  if (engine->destroyed) {
    /* The hook destroyed its own engine: stop the handshake here. */
    *alert = SSL_AD_INTERNAL_ERROR;
    ret = SSL_TLSEXT_ERR_ALERT_FATAL;
  } else if (result == NULL || napi_get_value_double(env, result, &answer) != napi_ok) {
    *alert = SSL_AD_HANDSHAKE_FAILURE;
    ret = SSL_TLSEXT_ERR_ALERT_FATAL;
  } else if (answer >= 0) {
    *alert = answer <= 255 ? (int)answer : SSL_AD_INTERNAL_ERROR;
    ret = SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  napi_close_handle_scope(env, scope);
  return ret;
}

/* The SNI name in a ClientHello's server_name extension (RFC 6066, 3), into `buf`; NULL when it
 * has none or one OpenSSL will refuse anyway (not exactly one host_name entry, empty, too long, a
 * NUL inside: tls_parse_ctos_server_name's rules). The extensions are not parsed yet when the
 * client hello callback runs, so SSL_get_servername knows nothing. */
static const char *hello_server_name(SSL *ssl, char *buf, size_t size) {
  const unsigned char *p;
  size_t len;
  if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) || len < 5) return NULL;
  size_t list = ((size_t)p[0] << 8) | p[1];
  size_t name = ((size_t)p[3] << 8) | p[4];
  if (list + 2 != len || p[2] != TLSEXT_NAMETYPE_host_name || name == 0 || name + 5 != len ||
      name > TLSEXT_MAXLEN_host_name || name >= size || memchr(p + 5, 0, name) != NULL)
    return NULL;
  memcpy(buf, p + 5, name);
  buf[name] = '\0';
  return buf;
}

/* The certificate selector's hook: HELLO_CONTINUE, HELLO_RETRY (suspend the handshake until the
 * lookup settles: SSL_ERROR_WANT_CLIENT_HELLO_CB), or the alert that refuses it. A hook that
 * throws or answers anything else is a handshake_failure (the TS side answers failures itself). */
int rx_client_hello_cb(SSL *ssl, int *alert, void *arg) {
  (void)arg;
  rx_engine *engine = callback_engine(ssl);
  if (engine == NULL) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  napi_env env = engine->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  char buf[TLSEXT_MAXLEN_host_name + 1];
  const char *name = hello_server_name(ssl, buf, sizeof(buf));
  napi_value result = dispatch(engine, "client-hello", string_or_null(env, name));
  int ret = SSL_CLIENT_HELLO_ERROR;
  double answer;
  if (engine->destroyed) {
    *alert = SSL_AD_INTERNAL_ERROR;
  } else if (result == NULL || napi_get_value_double(env, result, &answer) != napi_ok) {
    *alert = SSL_AD_HANDSHAKE_FAILURE;
  } else if (answer == HELLO_CONTINUE) {
    ret = SSL_CLIENT_HELLO_SUCCESS;
  } else if (answer == HELLO_RETRY) {
    ret = SSL_CLIENT_HELLO_RETRY;
  } else {
    *alert = answer >= 0 && answer <= 255 ? (int)answer : SSL_AD_HANDSHAKE_FAILURE;
  }
  napi_close_handle_scope(env, scope);
  return ret;
}

/* Python 3.13's psk_client_callback: (hint) -> [identity | null, key], lengths checked. */
unsigned int rx_psk_client_cb(SSL *ssl, const char *hint, char *identity,
                              unsigned int max_identity_len, unsigned char *psk,
                              unsigned int max_psk_len) {
  rx_engine *engine = callback_engine(ssl);
  if (engine == NULL) return 0;
  napi_env env = engine->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  unsigned int out = 0;
  napi_value result = dispatch(engine, "psk-client", string_or_null(env, hint));
  bool is_array = false;
  if (result != NULL && !engine->destroyed && napi_is_array(env, result, &is_array) == napi_ok && is_array) {
    napi_value id_value, key_value;
    void *key;
    size_t key_len, id_len = 0;
    napi_valuetype id_type = napi_null;
    if (napi_get_element(env, result, 0, &id_value) == napi_ok &&
        napi_get_element(env, result, 1, &key_value) == napi_ok &&
        rx_buffer_data(env, key_value, &key, &key_len) && key_len <= max_psk_len &&
        napi_typeof(env, id_value, &id_type) == napi_ok && max_identity_len > 0) {
      bool ok = true;
      if (id_type == napi_string) {
        ok = napi_get_value_string_utf8(env, id_value, NULL, 0, &id_len) == napi_ok &&
             id_len + 1 <= max_identity_len &&
             napi_get_value_string_utf8(env, id_value, identity, max_identity_len, &id_len) ==
               napi_ok;
      }
      if (ok) {
        identity[id_type == napi_string ? id_len : 0] = '\0';
        if (key_len > 0) memcpy(psk, key, key_len);
        out = (unsigned int)key_len;
      }
    }
  }
  napi_close_handle_scope(env, scope);
  return out;
}

/* Python 3.13's psk_server_callback: (identity) -> key; empty means an unknown identity. */
unsigned int rx_psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk,
                              unsigned int max_psk_len) {
  rx_engine *engine = callback_engine(ssl);
  if (engine == NULL) return 0;
  napi_env env = engine->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  unsigned int out = 0;
  napi_value result = dispatch(engine, "psk-server", string_or_null(env, identity));
  void *key;
  size_t key_len;
  if (result != NULL && !engine->destroyed && rx_buffer_data(env, result, &key, &key_len) &&
      key_len <= max_psk_len) {
    if (key_len > 0) memcpy(psk, key, key_len);
    out = (unsigned int)key_len;
  }
  napi_close_handle_scope(env, scope);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Construction

/* _ssl_configure_hostname: SNI for names only, and the host or IP check when asked. */
static bool configure_hostname(SSL *ssl, const char *hostname, bool check) {
  ASN1_OCTET_STRING *ip = a2i_IPADDRESS(hostname);
  if (ip == NULL) ERR_clear_error();
  bool ok = true;
  if (ip == NULL && !SSL_set_tlsext_host_name(ssl, hostname)) ok = false;
  if (ok && check) {
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    if (ip == NULL)
      ok = X509_VERIFY_PARAM_set1_host(param, hostname, strlen(hostname)) == 1;
    else
      ok = X509_VERIFY_PARAM_set1_ip(param, ASN1_STRING_get0_data(ip),
                                     (size_t)ASN1_STRING_length(ip)) == 1;
  }
  ASN1_OCTET_STRING_free(ip);
  return ok;
}

/* newPySSLSocket's post_handshake_auth setup: a client offers the extension; a server that
 * verifies peers defers the CertificateRequest to SSL_verify_client_post_handshake (bpo-37428:
 * only with SSL_VERIFY_PEER, as OpenSSL does not ignore SSL_VERIFY_POST_HANDSHAKE alone). */
static void configure_post_handshake_auth(SSL *ssl, SSL_CTX *ctx, bool server_side) {
  rx_ctx_data *data = SSL_CTX_get_ex_data(ctx, rx_ctx_data_index());
  if (data == NULL || !data->post_handshake_auth) return;
  if (!server_side) {
    SSL_set_post_handshake_auth(ssl, 1);
    return;
  }
  int mode = SSL_get_verify_mode(ssl);
  if (mode & SSL_VERIFY_PEER)
    SSL_set_verify(ssl, mode | SSL_VERIFY_POST_HANDSHAKE, SSL_get_verify_callback(ssl));
}

/*
 * Counts the peer's post-handshake handshake messages (KeyUpdate, NewSessionTicket,
 * CertificateRequest, renegotiation) since its last application data record: OpenSSL bounds
 * KeyUpdates only within one SSL_read call, so a peer pacing them keeps the engine deriving keys
 * for ever. drive() fails the connection beyond POST_HANDSHAKE_LIMIT (docs/architecture.md,
 * Limits under attack). Warning alerts need no count: OpenSSL refuses the fifth in a row.
 */
static void post_handshake_cb(int write_p, int version, int content_type, const void *buf,
                              size_t len, SSL *ssl, void *arg) {
  (void)version; (void)arg;
  rx_engine *engine = SSL_get_app_data(ssl);
  if (write_p || engine == NULL || len == 0) return;
  const unsigned char *bytes = buf;
  bool tls13 = SSL_version(ssl) == TLS1_3_VERSION;
  bool data = tls13 ? content_type == SSL3_RT_INNER_CONTENT_TYPE &&
                          bytes[0] == SSL3_RT_APPLICATION_DATA
                    : content_type == SSL3_RT_HEADER && bytes[0] == SSL3_RT_APPLICATION_DATA;
  if (data) {
    engine->post_handshake = 0;
  } else if (content_type == SSL3_RT_HANDSHAKE && engine->established) {
    /* (Not SSL_is_init_finished: OpenSSL is back "in init" while it reads such a message.) */
    if (engine->post_handshake <= POST_HANDSHAKE_LIMIT) engine->post_handshake++;
    engine->post_handshake_type = bytes[0];
  }
}

/* newEngine(context, serverSide, hostname | null, checkHostname, session | null) */
static napi_value new_engine(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result;
  rx_context *context;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      !rx_context_unwrap(env, argv[0], &context)) {
    napi_throw_type_error(env, NULL, "newEngine: bad arguments");
    return NULL;
  }
  bool server_side = false, check_hostname = false;
  napi_get_value_bool(env, argv[1], &server_side);
  napi_get_value_bool(env, argv[3], &check_hostname);
  rx_engine *engine = calloc(1, sizeof(*engine));
  if (engine == NULL) {
    napi_throw_error(env, NULL, "rxtls: out of memory");
    return NULL;
  }
  engine->env = env;
  engine->server_side = server_side;
  ERR_clear_error();
  engine->ssl = SSL_new(context->ctx);
  engine->rbio = rx_inbox_new();
  engine->wbio = BIO_new(BIO_s_mem());
  if (engine->ssl == NULL || engine->rbio == NULL || engine->wbio == NULL) {
    BIO_free(engine->rbio);
    BIO_free(engine->wbio);
    engine->rbio = engine->wbio = NULL;
    goto openssl_failure;
  }
  if (!rx_context_bind_ssl(engine->ssl, context->ctx)) goto openssl_failure;
  /* An empty read BIO means "retry later" until the transport's EOF is known. */
  BIO_set_mem_eof_return(engine->rbio, -1);
  BIO_set_mem_eof_return(engine->wbio, -1);
  SSL_set_bio(engine->ssl, engine->rbio, engine->wbio);
  SSL_set_app_data(engine->ssl, engine);
  SSL_set_mode(engine->ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY);
  SSL_set_msg_callback(engine->ssl, post_handshake_cb);
  configure_post_handshake_auth(engine->ssl, context->ctx, server_side);

  napi_valuetype type;
  napi_typeof(env, argv[2], &type);
  if (type == napi_string) {
    size_t len;
    napi_get_value_string_utf8(env, argv[2], NULL, 0, &len);
    engine->hostname = malloc(len + 1);
    if (engine->hostname == NULL) goto openssl_failure;
    napi_get_value_string_utf8(env, argv[2], engine->hostname, len + 1, &len);
    if (!configure_hostname(engine->ssl, engine->hostname, check_hostname)) goto openssl_failure;
  }
  napi_typeof(env, argv[4], &type);
  if (type == napi_object) {
    void *data = NULL;
    if (napi_unwrap(env, argv[4], &data) == napi_ok && data != NULL) {
      if (!SSL_set_session(engine->ssl, ((rx_session *)data)->session)) goto openssl_failure;
    }
  }
  if (server_side && !bind_session_id_context(engine->ssl, context->ctx)) goto openssl_failure;
  if (server_side)
    SSL_set_accept_state(engine->ssl);
  else
    SSL_set_connect_state(engine->ssl);
  napi_create_object(env, &result);
  if (napi_wrap(env, result, engine, finalize_engine, NULL, NULL) != napi_ok) {
    finalize_engine(env, engine, NULL);
    napi_throw_error(env, NULL, "rxtls: napi_wrap failed");
    return NULL;
  }
  int64_t total;
  if (napi_adjust_external_memory(env, ENGINE_EXTERNAL_BYTES, &total) == napi_ok)
    engine->counted = true;
  return result;
openssl_failure:
  rx_throw_openssl(env, NULL);
  finalize_engine(env, engine, NULL);
  return NULL;
}

// ---------------------------------------------------------------------------------------------
// Driving

static napi_value drain_bio(napi_env env, BIO *bio) {
  size_t pending = BIO_ctrl_pending(bio);
  if (pending == 0 || pending > INT_MAX) return rx_undefined(env);
  void *data;
  napi_value buffer;
  if (napi_create_buffer(env, pending, &data, &buffer) != napi_ok) return rx_undefined(env);
  int n = BIO_read(bio, data, (int)pending);
  if (n != (int)pending) return rx_undefined(env);
  return buffer;
}

static bool is_set(napi_env env, napi_value value) {
  napi_valuetype type = napi_undefined;
  napi_typeof(env, value, &type);
  return type != napi_undefined;
}

/* Python's shutdown loop for a memory BIO: SSL_shutdown at most twice while it returns 0. */
static int do_shutdown(SSL *ssl, int *ssl_error) {
  int zeros = 0, ret;
  for (;;) {
    ret = SSL_shutdown(ssl);
    if (ret > 0) return ret;
    if (ret == 0) {
      if (++zeros > 1) return ret;
      continue;
    }
    *ssl_error = SSL_get_error(ssl, ret);
    return ret;
  }
}

/*
 * drive(engine, op, n, data, input, eofAfter, dispatch, state) -> result | [result, out, remainder, error]
 * The plain result comes back alone when there is nothing else (no outgoing bytes, remainder or
 * error), the common case of a read; the numbers go to `state` (an Int32Array: bytes taken from
 * input, handshake complete, starved), which costs no JS allocation. The dispatcher is passed
 * per call (never kept in a reference) so that no native root keeps the JS engine alive: the GC
 * and the finalizer own the lifetime.
 */
static napi_value drive(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  int32_t *state = NULL;
  size_t state_length = 0;
  napi_typedarray_type state_type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 8 ||
      napi_get_typedarray_info(env, argv[7], &state_type, &state_length, (void **)&state, NULL,
                               NULL) != napi_ok ||
      state_type != napi_int32_array || state_length < DRIVE_STATE_LENGTH) {
    napi_throw_type_error(env, NULL, "drive: bad arguments");
    return NULL;
  }
  rx_engine *engine = live_engine(env, argv[0]);
  if (engine == NULL) return NULL;
  if (engine->depth > 0) {
    /* A callback drove its own engine: OpenSSL is not re-entrant. */
    napi_throw_error(env, "ERR_RXTLS_REENTRANT", "rxtls: the engine is busy in a callback");
    return NULL;
  }
  int32_t op = -1;
  int64_t n = 0;
  bool eof_after = false;
  napi_get_value_int32(env, argv[1], &op);
  napi_get_value_int64(env, argv[2], &n);
  napi_get_value_bool(env, argv[5], &eof_after);
  void *data = NULL, *input = NULL;
  size_t data_len = 0, input_len = 0;
  rx_buffer_data(env, argv[3], &data, &data_len);
  rx_buffer_data(env, argv[4], &input, &input_len);

  engine->depth++;
  engine->dispatch = argv[6];
  ERR_clear_error();
  size_t taken = 0;
  size_t buffered = BIO_ctrl_pending(engine->rbio);
  /* The caller's bytes are lent to the read BIO for this call (inbox.c): OpenSSL reads them in
   * place, and only what it leaves is copied when the call ends. The input is what the
   * SSLObject's incoming MemoryBIO holds (its copy of a write(), or a transport's chunk, which
   * belongs to its consumer): nothing a callback of this call runs can change it. */
  bool lent = false;
  if (input_len > 0 && buffered < FEED_LIMIT) {
    size_t room = FEED_LIMIT - buffered;
    size_t want = input_len < room ? input_len : room;
    if (!rx_inbox_lending(engine->rbio)) {
      rx_inbox_lend(engine->rbio, input, want);
      lent = true;
      taken = want;
    } else {
      int written = BIO_write(engine->rbio, input, (int)want);
      if (written > 0) taken = (size_t)written;
    }
  }
  if (eof_after && taken == input_len) BIO_set_mem_eof_return(engine->rbio, 0);

  SSL *ssl = engine->ssl;
  napi_value result = rx_undefined(env), error = rx_undefined(env);
  int ret = 1, ssl_error = SSL_ERROR_NONE;
  unsigned char chunk[READ_CHUNK];
  bool starved = false; /* a read that gathered data stopped for want of ciphertext */
  switch (op) {
    case OP_HANDSHAKE:
      ret = SSL_do_handshake(ssl);
      if (ret < 1) ssl_error = SSL_get_error(ssl, ret);
      break;
    case OP_READ: {
      size_t want = n <= 0 ? 0 : (size_t)n < sizeof(chunk) ? (size_t)n : sizeof(chunk);
      size_t count = 0;
      ret = SSL_read_ex(ssl, chunk, want, &count);
      if (ret == 1) {
        result = rx_buffer(env, chunk, count);
      } else {
        ssl_error = SSL_get_error(ssl, ret);
        /* Python: the peer's close_notify while ours is unsent reads as empty bytes. */
        if (ssl_error == SSL_ERROR_ZERO_RETURN && SSL_get_shutdown(ssl) == SSL_RECEIVED_SHUTDOWN) {
          ssl_error = SSL_ERROR_NONE;
          result = rx_buffer(env, chunk, 0);
        }
      }
      break;
    }
    case OP_READ_AVAILABLE:
    case OP_READ_INTO: {
      /* Record after record into one buffer: one call and one allocation per stream read instead
       * of one per record (none at all into the caller's buffer). Data read before an error is
       * returned first; the error (OpenSSL repeats it: the shutdown and failure states are
       * sticky) comes with the next call. */
      unsigned char many[READ_AVAILABLE_MAX];
      bool into = op == OP_READ_INTO;
      unsigned char *target = into ? data : many;
      size_t room = into ? data_len : sizeof(many);
      size_t want = n <= 0 ? 0 : (size_t)n < room ? (size_t)n : room;
      size_t count = 0, got = 0;
      while (count < want) {
        ret = SSL_read_ex(ssl, target + count, want - count, &got);
        if (ret != 1) break;
        count += got;
      }
      if (count > 0) {
        if (into)
          napi_create_double(env, (double)count, &result);
        else
          result = rx_buffer(env, many, count);
        int late = ret == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, ret);
        starved = late == SSL_ERROR_WANT_READ;
        if (late != SSL_ERROR_NONE && late != SSL_ERROR_WANT_READ && late != SSL_ERROR_WANT_WRITE &&
            late != SSL_ERROR_ZERO_RETURN)
          error = rx_error_object(env, ssl, late, ret); /* JS keeps it for the next call */
      } else {
        ssl_error = SSL_get_error(ssl, ret);
        if (ssl_error == SSL_ERROR_ZERO_RETURN && SSL_get_shutdown(ssl) == SSL_RECEIVED_SHUTDOWN) {
          ssl_error = SSL_ERROR_NONE;
          if (into)
            napi_create_double(env, 0, &result);
          else
            result = rx_buffer(env, many, 0);
        }
      }
      break;
    }
    case OP_WRITE: {
      size_t written = 0;
      ret = SSL_write_ex(ssl, data_len > 0 ? data : (void *)"", data_len, &written);
      if (ret == 1)
        napi_create_double(env, (double)written, &result);
      else
        ssl_error = SSL_get_error(ssl, ret);
      break;
    }
    case OP_SHUTDOWN:
      ret = do_shutdown(ssl, &ssl_error);
      napi_create_int32(env, ret, &result);
      break;
    default:
      error = rx_plain_error(env, "rxtls: unknown operation");
  }
  /* Past the post-handshake limit the call fails as OpenSSL's own limits fail one, with what it
   * read discarded; every later call fails the same way. */
  if (engine->post_handshake > POST_HANDSHAKE_LIMIT && !is_set(env, error)) {
    ERR_clear_error();
    ERR_raise(ERR_LIB_SSL, engine->post_handshake_type == SSL3_MT_KEY_UPDATE
                               ? SSL_R_TOO_MANY_KEY_UPDATES
                               : SSL_R_UNEXPECTED_MESSAGE);
    ssl_error = SSL_ERROR_SSL;
    ret = -1;
    result = rx_undefined(env);
  }
  /* The common "feed me" answer needs no description: state[DRIVE_SSL_ERROR] says it all. */
  bool plain_want_read = ssl_error == SSL_ERROR_WANT_READ && ERR_peek_error() == 0;
  if (ssl_error != SSL_ERROR_NONE && !plain_want_read)
    error = rx_error_object(env, ssl, ssl_error, ret);
  ERR_clear_error();

  /* With an output hook (fused) the ciphertext goes there, and what follows a close_notify stays
   * in the read BIO until unfuse() takes it; otherwise both come back to JS. */
  napi_value out = rx_undefined(env);
  napi_value remainder = rx_undefined(env);
  rx_output_report report = {0, 0};
  if (engine->output != NULL) {
    engine->output->flush(engine->output_owner, &report);
  } else {
    out = drain_bio(env, engine->wbio);
    if (SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN) remainder = drain_bio(env, engine->rbio);
  }

  if (lent) {
    /* Out of memory for the copy: the caller keeps the bytes not taken, and feeds them again. */
    size_t lost = rx_inbox_settle(engine->rbio);
    if (lost > 0) {
      taken -= lost;
      if (eof_after) BIO_set_mem_eof_return(engine->rbio, -1);
    }
  }
  state[DRIVE_TAKEN] = (int32_t)taken;
  state[DRIVE_HANDSHAKE_COMPLETE] = SSL_is_init_finished(ssl) == 1;
  if (state[DRIVE_HANDSHAKE_COMPLETE]) engine->established = true;
  state[DRIVE_STARVED] = starved || ssl_error == SSL_ERROR_WANT_READ;
  state[DRIVE_SSL_ERROR] = ssl_error;
  /* Always written: the array is shared by every engine, and a detached link must read zeros. */
  state[DRIVE_QUEUED] = report.queued > INT32_MAX ? INT32_MAX : (int32_t)report.queued;
  state[DRIVE_INCOMING] = (int32_t)BIO_ctrl_pending(engine->rbio);
  state[DRIVE_SENT] = (int32_t)report.sent;

  /* Last: a callback that destroyed the engine frees it (and its SSL) only now. */
  engine->depth--;
  engine->dispatch = NULL;
  if (engine->destroyed && engine->depth == 0) release(engine);
  if (!is_set(env, out) && !is_set(env, remainder) && !is_set(env, error))
    return result;
  napi_value answer;
  napi_create_array_with_length(env, 4, &answer);
  napi_set_element(env, answer, 0, result);
  if (is_set(env, out)) napi_set_element(env, answer, 1, out);
  if (is_set(env, remainder)) napi_set_element(env, answer, 2, remainder);
  if (is_set(env, error)) napi_set_element(env, answer, 3, error);
  return answer;
}

/* destroy(engine): frees now, or when the call in progress (a callback destroyed it) returns. */
static napi_value destroy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_unwrap(env, argv[0], &data) != napi_ok || data == NULL)
    return rx_undefined(env);
  rx_engine *engine = data;
  engine->destroyed = true;
  if (engine->depth == 0) release(engine);
  return rx_undefined(env);
}

/* setContext(engine, context): SSL_set_SSL_CTX, as assigning SSLObject.context does. */
static napi_value set_context(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  rx_context *context;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return NULL;
  rx_engine *engine = live_engine(env, argv[0]);
  if (engine == NULL) return NULL;
  if (!rx_context_unwrap(env, argv[1], &context)) {
    napi_throw_type_error(env, NULL, "setContext: not a native context");
    return NULL;
  }
  if (SSL_set_SSL_CTX(engine->ssl, context->ctx) == NULL) {
    rx_throw_openssl(env, NULL);
    return NULL;
  }
  return rx_undefined(env);
}

// ---------------------------------------------------------------------------------------------
// Information

static napi_value cert_der(napi_env env, X509 *cert) {
  unsigned char *der = NULL;
  int len = i2d_X509(cert, &der);
  if (len < 0) return rx_null(env);
  napi_value v = rx_buffer(env, der, (size_t)len);
  OPENSSL_free(der);
  return v;
}

static napi_value chain_der(napi_env env, STACK_OF(X509) *chain, X509 *first) {
  napi_value array;
  uint32_t index = 0;
  napi_create_array(env, &array);
  if (first != NULL) napi_set_element(env, array, index++, cert_der(env, first));
  int count = chain == NULL ? 0 : sk_X509_num(chain);
  for (int i = 0; i < count; i++)
    napi_set_element(env, array, index++, cert_der(env, sk_X509_value(chain, i)));
  return array;
}

static napi_value cipher_tuple(napi_env env, const SSL_CIPHER *cipher) {
  napi_value tuple, bits;
  napi_create_array_with_length(env, 3, &tuple);
  napi_set_element(env, tuple, 0, string_or_null(env, SSL_CIPHER_get_name(cipher)));
  napi_set_element(env, tuple, 1, string_or_null(env, SSL_CIPHER_get_version(cipher)));
  napi_create_int32(env, SSL_CIPHER_get_bits(cipher, NULL), &bits);
  napi_set_element(env, tuple, 2, bits);
  return tuple;
}

static napi_value shared_ciphers(napi_env env, SSL *ssl) {
  STACK_OF(SSL_CIPHER) *server = SSL_get_ciphers(ssl);
  STACK_OF(SSL_CIPHER) *client = SSL_get_client_ciphers(ssl);
  if (server == NULL || client == NULL) return rx_null(env);
  napi_value array;
  uint32_t index = 0;
  napi_create_array(env, &array);
  for (int i = 0; i < sk_SSL_CIPHER_num(server); i++) {
    const SSL_CIPHER *cipher = sk_SSL_CIPHER_value(server, i);
    if (sk_SSL_CIPHER_find(client, cipher) < 0) continue;
    napi_set_element(env, array, index++, cipher_tuple(env, cipher));
  }
  return array;
}

static napi_value session_object(napi_env env, SSL *ssl) {
  SSL_SESSION *session = SSL_get1_session(ssl);
  if (session == NULL) return rx_null(env);
  rx_session *wrapper = malloc(sizeof(*wrapper));
  if (wrapper == NULL) {
    SSL_SESSION_free(session);
    return rx_null(env);
  }
  wrapper->session = session;
  napi_value obj, v;
  napi_create_object(env, &obj);
  if (napi_wrap(env, obj, wrapper, finalize_session, NULL, NULL) != napi_ok) {
    finalize_session(env, wrapper, NULL);
    return rx_null(env);
  }
  unsigned int id_len = 0;
  const unsigned char *id = SSL_SESSION_get_id(session, &id_len);
  napi_set_named_property(env, obj, "id", rx_buffer(env, id, id_len));
  napi_create_double(env, (double)SSL_SESSION_get_time(session), &v);
  napi_set_named_property(env, obj, "time", v);
  napi_create_double(env, (double)SSL_SESSION_get_timeout(session), &v);
  napi_set_named_property(env, obj, "timeout", v);
  napi_create_double(env, (double)SSL_SESSION_get_ticket_lifetime_hint(session), &v);
  napi_set_named_property(env, obj, "ticketLifetimeHint", v);
  napi_get_boolean(env, SSL_SESSION_has_ticket(session) == 1, &v);
  napi_set_named_property(env, obj, "hasTicket", v);
  return obj;
}

/* Python's get_channel_binding("tls-unique"): the first Finished message of the handshake. */
static napi_value tls_unique(napi_env env, rx_engine *engine) {
  unsigned char buf[CB_MAXLEN];
  size_t len;
  bool client = !engine->server_side;
  if ((SSL_session_reused(engine->ssl) != 0) ^ client)
    len = SSL_get_finished(engine->ssl, buf, sizeof(buf));
  else
    len = SSL_get_peer_finished(engine->ssl, buf, sizeof(buf));
  if (len == 0) return rx_null(env);
  return rx_buffer(env, buf, len < sizeof(buf) ? len : sizeof(buf));
}

/* info(engine, what) -> the value Python's SSLObject method of the same meaning returns. */
static napi_value info(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 2;
  napi_value argv[2], v;
  int32_t what = -1;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 2) return NULL;
  rx_engine *engine = live_engine(env, argv[0]);
  if (engine == NULL) return NULL;
  napi_get_value_int32(env, argv[1], &what);
  SSL *ssl = engine->ssl;
  switch (what) {
    case INFO_HANDSHAKE_COMPLETE:
      napi_get_boolean(env, SSL_is_init_finished(ssl) == 1, &v);
      return v;
    case INFO_PENDING:
      napi_create_int32(env, SSL_pending(ssl), &v);
      return v;
    case INFO_PEER_CERT: {
      X509 *peer = SSL_get1_peer_certificate(ssl);
      if (peer == NULL) return rx_null(env);
      v = cert_der(env, peer);
      X509_free(peer);
      return v;
    }
    case INFO_PEER_VERIFIED: {
      /* Python's getpeercert(): a dict only when the context verifies peers. */
      X509 *peer = SSL_get0_peer_certificate(ssl);
      int mode = SSL_CTX_get_verify_mode(SSL_get_SSL_CTX(ssl));
      napi_get_boolean(env, peer != NULL && (mode & SSL_VERIFY_PEER) != 0, &v);
      return v;
    }
    case INFO_VERIFIED_CHAIN:
      return chain_der(env, SSL_get0_verified_chain(ssl), NULL);
    case INFO_UNVERIFIED_CHAIN:
      /* OpenSSL leaves the peer's own certificate out of the chain on servers; Python adds it. */
      return chain_der(env, SSL_get_peer_cert_chain(ssl),
                       engine->server_side ? SSL_get0_peer_certificate(ssl) : NULL);
    case INFO_CIPHER: {
      const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
      return cipher == NULL ? rx_null(env) : cipher_tuple(env, cipher);
    }
    case INFO_SHARED_CIPHERS:
      return shared_ciphers(env, ssl);
    case INFO_VERSION: {
      if (!SSL_is_init_finished(ssl)) return rx_null(env);
      const char *version = SSL_get_version(ssl);
      if (strcmp(version, "unknown") == 0) return rx_null(env);
      return string_or_null(env, version);
    }
    case INFO_ALPN: {
      const unsigned char *proto = NULL;
      unsigned int len = 0;
      SSL_get0_alpn_selected(ssl, &proto, &len);
      if (proto == NULL || len == 0) return rx_null(env);
      napi_create_string_latin1(env, (const char *)proto, len, &v);
      return v;
    }
    case INFO_SERVER_NAME:
      return string_or_null(env, SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
    case INFO_TLS_UNIQUE:
      return tls_unique(env, engine);
    case INFO_SESSION:
      return session_object(env, ssl);
    case INFO_SESSION_REUSED:
      napi_get_boolean(env, SSL_session_reused(ssl) == 1, &v);
      return v;
    case INFO_VERIFY_RESULT:
      napi_create_double(env, (double)SSL_get_verify_result(ssl), &v);
      return v;
    default:
      napi_throw_range_error(env, NULL, "info: unknown item");
      return NULL;
  }
}

/* exportKeyingMaterial(engine, length, label, context | undefined) (RFC 5705). */
static napi_value export_keying_material(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 4;
  napi_value argv[4], buffer;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 4) return NULL;
  rx_engine *engine = live_engine(env, argv[0]);
  if (engine == NULL) return NULL;
  int64_t length = 0;
  napi_get_value_int64(env, argv[1], &length);
  void *label, *context = NULL, *out;
  size_t label_len, context_len = 0;
  if (length <= 0 || length > (1 << 20) || !rx_buffer_data(env, argv[2], &label, &label_len)) {
    napi_throw_range_error(env, NULL, "exportKeyingMaterial: bad length or label");
    return NULL;
  }
  bool use_context = rx_buffer_data(env, argv[3], &context, &context_len);
  if (napi_create_buffer(env, (size_t)length, &out, &buffer) != napi_ok) return NULL;
  ERR_clear_error();
  if (SSL_export_keying_material(engine->ssl, out, (size_t)length, label_len > 0 ? label : "",
                                 label_len, context_len > 0 ? context : (void *)"", context_len,
                                 use_context ? 1 : 0) != 1) {
    rx_throw_openssl(env, "exporting keying material failed");
    return NULL;
  }
  return buffer;
}

/* verifyClientPostHandshake(engine): SSL_verify_client_post_handshake. Only arms the request:
 * the next handshake or write call sends the CertificateRequest. Throws the error description
 * (as Python's _setSSLError: the last error on the queue) when OpenSSL refuses. */
static napi_value verify_client_post_handshake(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  rx_engine *engine = live_engine(env, argv[0]);
  if (engine == NULL) return NULL;
  if (engine->depth > 0) {
    napi_throw_error(env, "ERR_RXTLS_REENTRANT", "rxtls: the engine is busy in a callback");
    return NULL;
  }
  ERR_clear_error();
  if (SSL_verify_client_post_handshake(engine->ssl) != 1) {
    napi_throw(env, rx_error_object(env, engine->ssl, SSL_ERROR_SSL, 0));
    return NULL;
  }
  return rx_undefined(env);
}

napi_value rx_engine_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    RX_METHOD("newEngine", new_engine),
    RX_METHOD("drive", drive),
    RX_METHOD("destroy", destroy),
    RX_METHOD("setContext", set_context),
    RX_METHOD("info", info),
    RX_METHOD("exportKeyingMaterial", export_keying_material),
    RX_METHOD("verifyClientPostHandshake", verify_client_post_handshake),
  };
  RX_DEFINE(env, exports, props);
  return exports;
}
