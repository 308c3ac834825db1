/*
 * OpenSSL failures described for JS (addon.c defines these): the raw description that
 * native-error.ts turns into Python's exception classes.
 */
#ifndef RXTLS_ERROR_H
#define RXTLS_ERROR_H

#include "addon.h"
#include <openssl/ssl.h>

/* SSL_get_error's value, the call's return and the last error on OpenSSL's queue, as Python's
 * PySSL_SetError sees them; ssl (NULL for context-level errors) adds a verification failure's
 * code. Clears the error queue. */
napi_value rx_error_object(napi_env env, const SSL *ssl, int ssl_error, int ret);
/* An error description with a fixed message (argument and state errors found in C). */
napi_value rx_plain_error(napi_env env, const char *message);
/* Throws the description of the last OpenSSL error, with `fallback` as its message if not NULL. */
void rx_throw_openssl(napi_env env, const char *fallback);

#endif
