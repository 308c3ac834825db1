/*
 * TCP on Node's libuv loop (socket.c), and the fused path.
 */
#ifndef RXTLS_SOCKET_H
#define RXTLS_SOCKET_H

#include "addon.h"

typedef struct rx_socket rx_socket;

/* Defines the `socket` object of exports, with its functions. */
napi_value rx_socket_init(napi_env env, napi_value exports);
void rx_socket_flush(rx_socket *socket);     /* sends what the engine wrote during a call */
void rx_socket_detach(rx_socket *socket);    /* the engine goes: unbind it */
size_t rx_socket_queued(const rx_socket *socket);
double rx_socket_sent(const rx_socket *socket);

#endif
