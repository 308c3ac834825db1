/**
 * TLS inside TLS over real TCP, the way an HTTPS proxy tunnel runs: the client's outer TLS
 * reaches a CONNECT proxy (an rxtls server) that pipes the tunnel to an rxtls echo server, and the
 * client's inner TLS runs end to end through it.
 */
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../../../src/endpoints/connect.js';
import { createServer } from '../../../src/endpoints/server.js';
import { Reactor } from '../../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../../src/transport/stream/ssl-socket.js';
import { TcpTransport } from '../../../src/transport/tcp-transport.js';
import { useContextPair } from '../../helpers/pki.js';
import { digestOf, echo, sha256, writeSplit } from '../../helpers/streams.js';
import { pipeTransport } from '../../helpers/tcp-relay.js';

const fixture = useContextPair(test);

/** The proxy's side: read `CONNECT host:port`, dial it, answer 200, then pipe both ways. */
async function tunnel(socket: SSLSocket<unknown>): Promise<void> {
  let request = '';
  while (!request.includes('\r\n\r\n')) {
    const chunk = await socket.read();
    if (chunk.length === 0) return;
    request += chunk.toString('latin1');
  }
  const target = /^CONNECT ([^:\s]+):(\d+) HTTP\/1\.1\r\n/.exec(request);
  if (!target) {
    socket.write('HTTP/1.1 400 Bad Request\r\n\r\n');
    await socket.close();
    return;
  }
  const upstream = await TcpTransport.connect({
    host: target[1] as string,
    port: Number(target[2]),
  });
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  pipeTransport(socket, upstream);
  pipeTransport(upstream, socket);
}

test('TLS inside TLS over TCP through a CONNECT proxy carries 4 MiB both ways end to end', async () => {
  const reactor = new Reactor();
  const origin = createServer({ context: fixture.serverCtx, reactor }, echo);
  const { port: originPort } = await origin.listen(0, '127.0.0.1');
  const proxy = createServer({ context: fixture.serverCtx, reactor }, (socket) => {
    tunnel(socket).catch(() => socket.abort());
  });
  const { port: proxyPort } = await proxy.listen(0, '127.0.0.1');
  try {
    const outer = await connect({
      host: 'localhost',
      port: proxyPort,
      context: fixture.clientCtx,
      reactor,
    });
    outer.write(`CONNECT 127.0.0.1:${originPort} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const answer = (await outer.read()).toString('latin1');
    assert.match(answer, /^HTTP\/1\.1 200 /);
    const inner = await connect({
      host: 'localhost',
      port: originPort,
      context: fixture.clientCtx,
      reactor,
      transport: outer,
    });
    assert.is(inner.transport, outer);
    assert.ok(inner.version());
    const payload = randomBytes(4 * 1024 * 1024 + 3);
    const back = digestOf(inner);
    await writeSplit(inner, payload);
    inner.end();
    const digest = await back;
    assert.is(digest.bytes, payload.length);
    assert.is(digest.sha256, sha256(payload));
    await outer.close();
    assert.is(inner.error, undefined);
    assert.is(reactor.stats().handshakesFailed, 0);
    // Outer and inner on both the client and the servers: four handshakes.
    assert.is(reactor.stats().handshakesOk, 4);
  } finally {
    await proxy.close({ timeoutMs: 1_000 });
    await origin.close({ timeoutMs: 1_000 });
    await reactor.shutdown({ timeoutMs: 500 });
  }
  assert.is(reactor.stats().connections, 0);
});

test.run();
