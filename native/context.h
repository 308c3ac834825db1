/*
 * Compiled contexts (context.c): one SSL_CTX per EngineConfig, and the per-SSL_CTX data that the
 * engine's callbacks read.
 */
#ifndef RXTLS_CONTEXT_H
#define RXTLS_CONTEXT_H

#include "addon.h"
#include <openssl/ssl.h>

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

/* A compiled context: one SSL_CTX reference owned by a JS object. */
typedef struct rx_context {
  SSL_CTX *ctx;
} rx_context;

/* Defines newContext on exports. */
napi_value rx_context_init(napi_env env, napi_value exports);
/* The ex_data index of every SSL_CTX's rx_ctx_data. */
int rx_ctx_data_index(void);
/* The context behind a JS handle; false (nothing thrown) when it is none. */
bool rx_context_unwrap(napi_env env, napi_value value, rx_context **out);

#endif
