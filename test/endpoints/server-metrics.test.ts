/**
 * ServerMetrics and its /metrics endpoint over real handshakes on 127.0.0.1: Prometheus text with
 * handshakes by result, version and resumption, the duration histogram, live connections, bytes,
 * closes and errors by reason; two servers in one process keep their figures apart; a closed
 * ServerMetrics stops counting.
 */
import { firstValueFrom } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROTOCOL_TLS_CLIENT } from '../../src/constants/ssl-constants.js';
import { SSLContext } from '../../src/context/ssl-context.js';
import { connect } from '../../src/endpoints/connect.js';
import { createServer, type Server } from '../../src/endpoints/server.js';
import { MetricsEndpoint, ServerMetrics } from '../../src/index.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import { httpGet, sample } from '../helpers/scrape.js';
import { contextPair, usePki } from '../helpers/pki.js';
import { echo } from '../helpers/streams.js';

const pki = usePki(test);

async function serve(context: SSLContext): Promise<{ server: Server; port: number }> {
  const server = createServer({ context, reactor: new Reactor() }, echo);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

/** A round trip and a clean close; resolves once the server's side has closed too. */
async function roundTrip(server: Server, port: number, context: SSLContext): Promise<void> {
  const accepted = firstValueFrom(server.connections$);
  const client = await connect({ host: 'localhost', port, context });
  const serverSide = await accepted;
  client.write('ping');
  await client.read();
  await client.close();
  await firstValueFrom(serverSide.closed$);
}

test('Prometheus text at /metrics: handshakes, duration, live connections, bytes, closes and errors', async () => {
  const { serverCtx, clientCtx } = contextPair(pki);
  const metrics = new ServerMetrics({ accept: (socket) => socket.context === serverCtx });
  const endpoint = await MetricsEndpoint.listen(metrics, 0, '127.0.0.1');
  const { server, port } = await serve(serverCtx);
  try {
    await roundTrip(server, port, clientCtx);
    await roundTrip(server, port, clientCtx);
    // One that stays open, and one that fails verification at the client.
    const open = await connect({ host: 'localhost', port, context: clientCtx });
    const distrusting = new SSLContext(PROTOCOL_TLS_CLIENT);
    distrusting.loadVerifyLocations({ cafile: pki.path('otherCa') });
    const failedAccept = firstValueFrom(server.connections$);
    await connect({ host: 'localhost', port, context: distrusting }).catch(() => undefined);
    await firstValueFrom((await failedAccept).closed$);

    const { status, type, body } = await httpGet(endpoint.address().port);
    assert.is(status, 200);
    assert.match(type, 'text/plain');
    assert.match(body, '# TYPE rxtls_handshakes_total counter');
    assert.is(
      sample(body, 'rxtls_handshakes_total', 'result="ok",version="TLSv1.3",resumed="no"'),
      3,
    );
    assert.is(
      sample(body, 'rxtls_handshakes_total', 'result="failed",version="none",resumed="no"'),
      1,
    );
    assert.is(sample(body, 'rxtls_handshake_duration_seconds_count', 'result="ok"'), 3);
    assert.ok((sample(body, 'rxtls_handshake_duration_seconds_sum', 'result="ok"') ?? 0) > 0);
    assert.is(sample(body, 'rxtls_connections'), 1, 'the open one');
    assert.is(sample(body, 'rxtls_connections_closed_total', 'reason="close-notify"'), 2);
    assert.ok((sample(body, 'rxtls_received_bytes_total') ?? 0) > 0);
    assert.ok((sample(body, 'rxtls_sent_bytes_total') ?? 0) > 0);
    // The client's alert (native engine) or its EOF (node engine) ended the failed one.
    assert.ok(/^rxtls_errors_total\{class="SSL\w*Error",reason="\w+"\} 1$/m.test(body), body);
    await open.close();
    // Anything but /metrics is not found.
    assert.is((await httpGet(endpoint.address().port, '/')).status, 404);
  } finally {
    await server.close();
    await endpoint.close();
    metrics.close();
  }
});

test('two servers in one process keep their own figures; a closed ServerMetrics stops counting', async () => {
  const one = contextPair(pki);
  const two = contextPair(pki);
  const first = new ServerMetrics({ accept: (socket) => socket.context === one.serverCtx });
  const second = new ServerMetrics({ accept: (socket) => socket.context === two.serverCtx });
  const a = await serve(one.serverCtx);
  const b = await serve(two.serverCtx);
  try {
    await roundTrip(a.server, a.port, one.clientCtx);
    await roundTrip(b.server, b.port, two.clientCtx);
    await roundTrip(b.server, b.port, two.clientCtx);
    const ok = 'result="ok",version="TLSv1.3",resumed="no"';
    assert.is(sample(await first.metrics(), 'rxtls_handshakes_total', ok), 1);
    assert.is(sample(await second.metrics(), 'rxtls_handshakes_total', ok), 2);
    first.close();
    await roundTrip(a.server, a.port, one.clientCtx);
    assert.is(sample(await first.metrics(), 'rxtls_handshakes_total', ok), 1);
  } finally {
    await a.server.close();
    await b.server.close();
    first.close();
    second.close();
  }
});

test.run();
