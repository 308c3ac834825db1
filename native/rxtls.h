/*
 * rxtls native engine: OpenSSL (the copy inside the node binary) driven over two memory BIOs,
 * as CPython's Modules/_ssl.c drives it for SSLObject.
 */
#ifndef RXTLS_H
#define RXTLS_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stddef.h>

/* Per-SSL_CTX data, freed with the SSL_CTX (ex_data free callback). */
typedef struct rx_ctx_data {
  unsigned char *alpn; /* wire format, server order */
  unsigned int alpn_len;
  bool keylog;
  bool sni;
  bool psk_client;
  bool psk_server;
  bool post_handshake_auth; /* Python's SSLContext.post_handshake_auth: applied per SSL */
} rx_ctx_data;

typedef struct rx_socket rx_socket;

/* One connection. Owned by a JS object through napi_wrap. */
typedef struct rx_engine {
  napi_env env;
  SSL *ssl;
  BIO *rbio; /* borrowed from ssl */
  BIO *wbio; /* borrowed from ssl */
  napi_value dispatch; /* JS function for SNI, PSK and keylog: valid only during drive() */
  bool server_side;
  bool destroyed;      /* destroy() called: no more calls, no more callbacks into JS */
  bool counted;        /* its memory is counted in V8's external memory (see release()) */
  int depth;           /* nested native calls in progress (callbacks may re-enter) */
  char *hostname;      /* server_hostname as given (clients), for Python's mismatch message */
  rx_socket *socket;   /* fused: the socket its ciphertext travels on (socket.c), or NULL */
} rx_engine;

/* A compiled context: one SSL_CTX reference owned by a JS object. */
typedef struct rx_context {
  SSL_CTX *ctx;
} rx_context;

/* A resumable session: one SSL_SESSION reference owned by a JS object. */
typedef struct rx_session {
  SSL_SESSION *session;
} rx_session;

/* addon.c */
int rx_ctx_data_index(void);
napi_value rx_error_object(napi_env env, rx_engine *engine, int ssl_error, int ret);
napi_value rx_plain_error(napi_env env, const char *message);
void rx_throw_openssl(napi_env env, const char *fallback);
napi_value rx_buffer(napi_env env, const unsigned char *data, size_t len);
napi_value rx_undefined(napi_env env);

/* One exported function in a napi_property_descriptor table. */
#define RX_METHOD(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}
/* Defines a table of RX_METHODs on `target`. */
#define RX_DEFINE(env, target, props) \
  napi_define_properties(env, target, sizeof(props) / sizeof((props)[0]), props)
napi_value rx_null(napi_env env);
bool rx_get_bool(napi_env env, napi_value object, const char *key);
double rx_get_number(napi_env env, napi_value object, const char *key, double fallback);
char *rx_get_string(napi_env env, napi_value object, const char *key); /* malloc'd or NULL */
bool rx_buffer_data(napi_env env, napi_value value, void **data, size_t *len);

/* context.c */
napi_value rx_new_context(napi_env env, napi_callback_info info);

/* engine.c: OpenSSL callbacks that reach JS through the engine's dispatcher */
napi_value rx_engine_init(napi_env env, napi_value exports);
void rx_keylog_cb(const SSL *ssl, const char *line);
int rx_servername_cb(SSL *ssl, int *alert, void *arg);
unsigned int rx_psk_client_cb(SSL *ssl, const char *hint, char *identity,
                              unsigned int max_identity_len, unsigned char *psk,
                              unsigned int max_psk_len);
unsigned int rx_psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk,
                              unsigned int max_psk_len);
bool rx_context_unwrap(napi_env env, napi_value value, rx_context **out);
rx_engine *rx_engine_unwrap(napi_env env, napi_value value); /* live engine or NULL + throws */

/* socket.c: TCP on Node's libuv loop, and the fused path */
napi_value rx_socket_init(napi_env env, napi_value exports);
void rx_socket_flush(rx_socket *socket);     /* sends what the engine wrote during a call */
void rx_socket_detach(rx_socket *socket);    /* the engine goes: unbind it */
size_t rx_socket_queued(const rx_socket *socket);
double rx_socket_sent(const rx_socket *socket);

#endif
