/*
 * The fused path (fusion.c): an engine's ciphertext carried by one of the addon's TCP sockets
 * without entering JavaScript (see docs/architecture.md, The fused path).
 */
#ifndef RXTLS_FUSION_H
#define RXTLS_FUSION_H

#include "addon.h"

/* Defines fuse and unfuse on exports.socket (made by rx_socket_init before). */
napi_value rx_fusion_init(napi_env env, napi_value exports);

#endif
