/*
 * One connection (engine.c): an SSL over two memory BIOs, driven synchronously as CPython's _ssl.c
 * drives SSLObject.
 */
#ifndef RXTLS_ENGINE_H
#define RXTLS_ENGINE_H

#include "addon.h"
#include <openssl/ssl.h>

/* What an output hook reports of a driving call, for the state array's DRIVE_QUEUED and
 * DRIVE_SENT. */
typedef struct rx_output_report {
  size_t queued; /* bytes the transport still queues */
  double sent;   /* bytes the call sent */
} rx_output_report;

/* Where an engine's output goes instead of back to JS: fusion.c sets one while the engine is
 * fused (see docs/architecture.md, The fused path). Without one, drive() hands JS the write BIO's
 * bytes, and the ciphertext the read BIO holds after a close_notify. */
typedef struct rx_engine_output {
  /* After each driving call, once OpenSSL is done: sends what the call wrote and reports it. */
  void (*flush)(void *owner, rx_output_report *report);
  /* The engine is being freed, its SSL and BIOs with it: the owner lets go of it. */
  void (*detach)(void *owner);
} rx_engine_output;

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
  /* Post-handshake handshake messages read since the last application data, and the type of
   * the last one (see post_handshake_cb in engine.c). */
  int post_handshake;
  int post_handshake_type;
  bool established; /* a driving call ended with the handshake complete */
  const rx_engine_output *output; /* set while fused (fusion.c), else NULL */
  void *output_owner;             /* what `output`'s functions are called with */
} rx_engine;

/* Defines newEngine, drive, destroy, setContext, info, exportKeyingMaterial and
 * verifyClientPostHandshake on exports. */
napi_value rx_engine_init(napi_env env, napi_value exports);
/* The live engine behind a JS handle, or NULL (with a JS exception) when destroyed or invalid. */
rx_engine *rx_engine_unwrap(napi_env env, napi_value value);

/* The OpenSSL callbacks a context installs (context.c): they reach JS through the dispatcher of
 * the engine being driven. */
void rx_keylog_cb(const SSL *ssl, const char *line);
int rx_servername_cb(SSL *ssl, int *alert, void *arg);
int rx_client_hello_cb(SSL *ssl, int *alert, void *arg);
unsigned int rx_psk_client_cb(SSL *ssl, const char *hint, char *identity,
                              unsigned int max_identity_len, unsigned char *psk,
                              unsigned int max_psk_len);
unsigned int rx_psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk,
                              unsigned int max_psk_len);

#endif
