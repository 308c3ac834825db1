/*
 * The N-API helpers every native file shares (addon.c defines them): values, buffers, reading an
 * options object, and tables of exported functions.
 */
#ifndef RXTLS_ADDON_H
#define RXTLS_ADDON_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

napi_value rx_undefined(napi_env env);
napi_value rx_null(napi_env env);
napi_value rx_buffer(napi_env env, const unsigned char *data, size_t len); /* a copy */
bool rx_get_bool(napi_env env, napi_value object, const char *key);
double rx_get_number(napi_env env, napi_value object, const char *key, double fallback);
char *rx_get_string(napi_env env, napi_value object, const char *key); /* malloc'd or NULL */
bool rx_buffer_data(napi_env env, napi_value value, void **data, size_t *len);
/* A call's first `want` arguments into argv; false (with a TypeError thrown) when fewer came. */
bool rx_get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv);

/* One exported function in a napi_property_descriptor table. */
#define RX_METHOD(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}
/* Defines a table of RX_METHODs on `target`. */
#define RX_DEFINE(env, target, props) \
  napi_define_properties(env, target, sizeof(props) / sizeof((props)[0]), props)

#endif
