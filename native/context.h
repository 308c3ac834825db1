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
  /* Session ticket keys, RX_TICKET_KEY_LENGTH bytes each, newest first (Node's layout: name,
   * HMAC secret, AES key); immutable once configured: a new ring comes with a new SSL_CTX. */
  unsigned char *ticket_keys;
  size_t ticket_key_count;
  /* The session ID context a server SSL is bound to (engine.c applies it per SSL). */
  unsigned char sid_ctx[SSL_MAX_SID_CTX_LENGTH];
  unsigned int sid_ctx_len;
} rx_ctx_data;

/* One session ticket key: 16 bytes name, 16 bytes HMAC-SHA256 secret, 16 bytes AES-128 key. */
#define RX_TICKET_KEY_LENGTH 48

/* A compiled context: one SSL_CTX reference owned by a JS object. */
typedef struct rx_context {
  SSL_CTX *ctx;
} rx_context;

/* Defines newContext on exports. */
napi_value rx_context_init(napi_env env, napi_value exports);
/* The ex_data index of every SSL_CTX's rx_ctx_data. */
int rx_ctx_data_index(void);
/* Remembers, on a new SSL, the context it was made from: its ticket keys stay the ones that
 * encrypt and decrypt after an SNI callback switches the SSL to another context, as OpenSSL's
 * own keys do (they belong to the session context). */
bool rx_context_bind_ssl(SSL *ssl, SSL_CTX *ctx);
/* The context behind a JS handle; false (nothing thrown) when it is none. */
bool rx_context_unwrap(napi_env env, napi_value value, rx_context **out);

#endif
