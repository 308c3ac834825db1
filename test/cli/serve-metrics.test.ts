/**
 * `rxtls serve --metrics HOST:PORT`: Prometheus text at /metrics after real handshakes, from one
 * process and added up over `--workers 2`; a bad address is a usage error.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Purpose } from '../../src/constants/ssl-constants.js';
import { createDefaultContext } from '../../src/context/default-context.js';
import { connect } from '../../src/endpoints/connect.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { httpGet, sample } from '../helpers/scrape.js';
import { rxtlsRun, serve, serverPids, stopAll } from './cli-process.js';

let cwd = '';
test.before(() => {
  cwd = mkdtempSync(join(tmpdir(), 'rxtls-metrics-'));
});
test.after(async () => {
  await stopAll();
  rmSync(cwd, { recursive: true, force: true });
});

const OK = 'result="ok",version="TLSv1.3",resumed="no"';

/** A client of the echo server that has had one round trip. */
async function echoClient(port: number): Promise<SSLSocket> {
  const context = createDefaultContext(Purpose.SERVER_AUTH, { cafile: join(cwd, '.rxtls/ca.pem') });
  const socket = await connect({ host: 'localhost', port, context });
  socket.write('hello');
  assert.is((await socket.read()).toString(), 'hello');
  return socket;
}

test('serve --echo --metrics 127.0.0.1:0 answers Prometheus text with the handshakes it made', async () => {
  const [server, port] = await serve(cwd, ['--echo', '--metrics', '127.0.0.1:0']);
  const [, metricsPort] = await server.waitFor(/metrics: http:\/\/127\.0\.0\.1:(\d+)\/metrics\n/);
  const client = await echoClient(port);
  const { status, type, body } = await httpGet(Number(metricsPort));
  assert.is(status, 200);
  assert.match(type, 'text/plain');
  assert.is(sample(body, 'rxtls_handshakes_total', OK), 1);
  assert.is(sample(body, 'rxtls_connections'), 1);
  assert.is(sample(body, 'rxtls_handshake_duration_seconds_count', 'result="ok"'), 1);
  await client.close();
  server.child.kill('SIGTERM');
  assert.is((await server.exited).code, 0);
});

test('serve --workers 2 --metrics adds up both workers', async () => {
  const [server, port] = await serve(cwd, ['--echo', '--workers', '2', '--metrics', '127.0.0.1:0']);
  const [, metricsPort] = await server.waitFor(
    /metrics: http:\/\/127\.0\.0\.1:(\d+)\/metrics \(every worker, added up\)\n/,
  );
  const clients: SSLSocket[] = [];
  // Each connection lands on a worker by the kernel's hash: open them until both serve some.
  for (let i = 0; i < 64 && serverPids(port).size < 2; i++) clients.push(await echoClient(port));
  assert.is(serverPids(port).size, 2);
  const { status, body } = await httpGet(Number(metricsPort));
  assert.is(status, 200);
  assert.is(sample(body, 'rxtls_handshakes_total', OK), clients.length);
  assert.is(sample(body, 'rxtls_connections'), clients.length);
  await Promise.all(clients.map((client) => client.close()));
  server.child.kill('SIGTERM');
  assert.is((await server.exited).code, 0);
});

/** GET https://localhost:port/path (trusting the development CA) over a fresh connection. */
function httpsGet(port: number, path: string): Promise<string> {
  const ca = readFileSync(join(cwd, '.rxtls/ca.pem'));
  return new Promise((resolve, reject) => {
    const request = https.get({ host: 'localhost', port, path, ca, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve(body));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

test('serve --https --metrics: the page shows the figures /metrics has', async () => {
  const [server, port] = await serve(cwd, ['--https', '--metrics', '127.0.0.1:0']);
  const [, metricsPort] = await server.waitFor(/metrics: http:\/\/127\.0\.0\.1:(\d+)\/metrics\n/);
  await httpsGet(port, '/');
  const { stats } = JSON.parse(await httpsGet(port, '/stats.json'));
  const body = (await httpGet(Number(metricsPort))).body;
  assert.is(stats.handshakesOk, 2);
  assert.is(sample(body, 'rxtls_handshakes_total', OK), 2);
  assert.is(stats.handshakesResumed, 0);
  assert.is(stats.connections, 1, 'this request');
  assert.ok(stats.bytesIn > 0 && stats.bytesOut > 0);
  server.child.kill('SIGTERM');
  assert.is((await server.exited).code, 0);
});

test('serve --metrics on an address in use fails with exit 1 and stops the TLS server', async () => {
  const taken = http.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as { port: number };
  try {
    const exit = await rxtlsRun(cwd, ['serve', '--port', '0', '--metrics', `127.0.0.1:${port}`]);
    assert.is(exit.code, 1);
    assert.match(exit.stderr, 'EADDRINUSE');
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});

test('serve --metrics with a bad address is a usage error', async () => {
  const exit = await rxtlsRun(cwd, ['serve', '--metrics', 'nowhere']);
  assert.is(exit.code, 2);
  assert.match(exit.stderr, "expected HOST:PORT (IPv6 as [::1]:PORT), got 'nowhere'");
});

test.run();
