/**
 * The reactor's entry points (connect, createServer) against real peers over TCP on 127.0.0.1:
 * the rxtls client against openssl s_server, a Python ssl server and a Python asyncio server; the
 * rxtls echo server against openssl s_client, Python ssl and asyncio clients and Node's
 * tls.connect. (curl through toNodeDuplex and Node's tls.createServer: test/protocol/server.)
 */
import { createHash, randomBytes } from 'node:crypto';
import tls from 'node:tls';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../src/context/ssl-context.js';
import { connect } from '../../src/endpoints/connect.js';
import { createServer, type Server } from '../../src/endpoints/server.js';
import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER } from '../../src/constants/ssl-constants.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import { asyncioResult, startAsyncioClient, startAsyncioServer } from '../helpers/asyncio-peers.js';
import {
  Peers,
  pythonResult,
  startOpensslClient,
  startOpensslServer,
  startPythonClient,
  startPythonServer,
} from '../helpers/peers.js';
import { usePki } from '../helpers/pki.js';
import { digestOf, echo, sha256, writeSplit } from '../helpers/streams.js';

const test = suite('reactor with real peers');
const peers = new Peers();
const VERSIONS = ['1.2', '1.3'] as const;
const PY_VERSION = { '1.2': 'TLSv1_2', '1.3': 'TLSv1_3' } as const;
let serverCtx: SSLContext;
let clientCtx: SSLContext;

test.after(async () => {
  await peers.stopAll();
});
const pki = usePki(test);
test.before(() => {
  serverCtx = new SSLContext(PROTOCOL_TLS_SERVER);
  serverCtx.loadCertChain(pki.path('server'), pki.path('server-key'));
  clientCtx = new SSLContext(PROTOCOL_TLS_CLIENT);
  clientCtx.loadVerifyLocations({ cafile: pki.path('ca') });
});

async function echoServer(reactor: Reactor): Promise<[Server, number]> {
  const server = createServer({ context: serverCtx, reactor }, echo);
  const { port } = await server.listen(0, '127.0.0.1');
  return [server, port];
}

for (const version of VERSIONS) {
  test(`rxtls client -> openssl s_server (TLS ${version}): a line each way, close_notify both ways`, async () => {
    const reactor = new Reactor();
    const server = await startOpensslServer(peers, {
      cert: pki.path('server'),
      key: pki.path('server-key'),
      version,
    });
    const client = await connect({
      host: 'localhost',
      port: server.port,
      context: clientCtx,
      reactor,
      suppressRaggedEofs: false,
    });
    assert.is(client.version(), `TLSv${version}`);
    const received = digestOf(client);
    client.write('hello from rxtls\n');
    await server.waitFor(/^hello from rxtls$/m, 'stdout');
    server.send('hello from openssl\n');
    // close() sends close_notify; the data before s_server's answer still arrives.
    await server.waitFor(/./, 'stdout');
    const reply = 'hello from openssl\n';
    const closing = client.close();
    await server.waitFor(/^DONE$/m, 'stdout');
    await closing;
    const digest = await received;
    assert.ok(digest.bytes === 0 || digest.sha256 === sha256(Buffer.from(reply)));
    assert.is((await server.finished()).code, 0, server.output);
    assert.is(client.error, undefined);
    assert.is(reactor.stats().connections, 0);
  });

  test(`rxtls client -> Python ssl server (TLS ${version}): a line each way, unwrap answered`, async () => {
    const reactor = new Reactor();
    const server = await startPythonServer(peers, {
      cert: pki.path('server'),
      key: pki.path('server-key'),
      maxVersion: PY_VERSION[version],
    });
    const client = await connect({
      host: 'localhost',
      port: server.port,
      context: clientCtx,
      reactor,
    });
    const received = digestOf(client);
    client.write('ping\n');
    const digest = await received; // python answers, then unwraps: close_notify ends data$
    assert.is(digest.sha256, sha256(Buffer.from('python got: ping\n')));
    await client.close();
    const result = await pythonResult(server);
    assert.ok(result.ok, JSON.stringify(result));
    assert.is(result.version, `TLSv${version}`);
    assert.is(result.unwrap, 'ok');
  });

  test(`rxtls client -> Python asyncio echo server (TLS ${version}): 2 MiB echoed, closed cleanly`, async () => {
    const reactor = new Reactor();
    const server = await startAsyncioServer(peers, {
      cert: pki.path('server'),
      key: pki.path('server-key'),
      maxVersion: PY_VERSION[version],
    });
    const client = await connect({
      host: 'localhost',
      port: server.port,
      context: clientCtx,
      reactor,
      suppressRaggedEofs: false,
    });
    const payload = randomBytes(2 * 1024 * 1024);
    const hash = createHash('sha256');
    let echoed = 0;
    // asyncio closes as soon as it reads our close_notify (eof_received cannot keep an SSL
    // stream open), dropping echoes not yet written: end() only after everything came back.
    const back = new Promise<void>((resolve, reject) => {
      client.data$.subscribe({
        next: (chunk) => {
          hash.update(chunk);
          echoed += chunk.length;
          if (echoed === payload.length) resolve();
        },
        error: reject,
      });
    });
    await writeSplit(client, payload);
    await back;
    await client.close(); // close_notify both ways
    const digest = { bytes: echoed, sha256: hash.digest('hex') };
    const result = await asyncioResult(server);
    assert.is(digest.bytes, payload.length, JSON.stringify(result));
    assert.is(digest.sha256, sha256(payload));
    assert.ok(result.ok, JSON.stringify(result));
    assert.is(result.received, payload.length);
    assert.is(result.version, `TLSv${version}`);
    assert.is(client.error, undefined);
  });

  test(`openssl s_client (TLS ${version}) -> rxtls echo server: echoed, then closed`, async () => {
    const reactor = new Reactor();
    const [server, port] = await echoServer(reactor);
    const client = startOpensslClient(peers, port, { cafile: pki.path('ca'), version });
    await client.waitFor(/^Verification: OK$/m, 'stderr');
    client.send('hello rxtls\n');
    await client.waitFor(/^hello rxtls$/m, 'stdout');
    client.endInput();
    assert.is((await client.finished()).code, 0, client.output);
    await server.close({ timeoutMs: 2_000 });
    const stats = reactor.stats();
    assert.is(stats.handshakesOk, 1);
    assert.is(stats.connections, 0);
  });

  test(`Python ssl and asyncio clients (TLS ${version}) -> rxtls echo server`, async () => {
    const reactor = new Reactor();
    const [server, port] = await echoServer(reactor);
    const blocking = startPythonClient(peers, port, { cafile: pki.path('ca'), message: 'ping\n' });
    const size = 1024 * 1024 + 5;
    const streaming = startAsyncioClient(peers, port, {
      cafile: pki.path('ca'),
      size,
      maxVersion: PY_VERSION[version],
    });
    const sync = await pythonResult(blocking);
    assert.ok(sync.ok, JSON.stringify(sync));
    assert.is(sync.received, 'ping\n');
    assert.is(sync.unwrap, 'ok', 'rxtls answered close_notify');
    const async = await asyncioResult(streaming);
    assert.ok(async.ok, JSON.stringify(async));
    assert.is(async.received, async.sent);
    assert.is(async.version, `TLSv${version}`);
    await server.close({ timeoutMs: 2_000 });
    assert.is(reactor.stats().handshakesOk, 2);
    assert.is(reactor.stats().connections, 0);
  });

  test(`Node tls.connect (TLS ${version}) -> rxtls echo server: 8 MiB echoed, ended cleanly`, async () => {
    const reactor = new Reactor();
    const [server, port] = await echoServer(reactor);
    const client = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: pki.ca.cert,
      maxVersion: `TLSv${version}`,
    });
    await new Promise<void>((resolve, reject) => {
      client.once('secureConnect', resolve);
      client.once('error', reject);
    });
    assert.is(client.getProtocol(), `TLSv${version}`);
    const payload = randomBytes(8 * 1024 * 1024);
    const hash = createHash('sha256');
    let count = 0;
    const done = (async () => {
      for await (const chunk of client) {
        hash.update(chunk as Buffer);
        count += (chunk as Buffer).length;
      }
    })();
    client.end(payload);
    await done;
    assert.is(count, payload.length);
    assert.is(hash.digest('hex'), sha256(payload));
    await server.close({ timeoutMs: 2_000 });
    assert.is(reactor.stats().connections, 0);
  });
}

test.run();
