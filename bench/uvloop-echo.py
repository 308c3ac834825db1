#!/usr/bin/python3
"""A TLS echo server on asyncio + uvloop, the baseline of bench/echo (issue 6).

Run with Debian's python3 and python3-uvloop (`apt-get install python3-uvloop`):
    /usr/bin/python3 bench/uvloop-echo.py CERT KEY [PORT]
It prints "LISTENING <port>" when ready and serves until SIGTERM/SIGINT.
"""
import asyncio
import signal
import ssl
import sys

import uvloop


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    def eof_received(self):
        return False


async def main():
    cert, key = sys.argv[1], sys.argv[2]
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, '127.0.0.1', port, ssl=ctx, backlog=4096)
    print('LISTENING', server.sockets[0].getsockname()[1], flush=True)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    await stop
    server.close()
    await server.wait_closed()


uvloop.install()
asyncio.run(main())
