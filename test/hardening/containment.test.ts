/**
 * Containment: whatever fails inside a connection's callbacks (an engine building its context at
 * the first ClientHello, the SNI hook, a key log write, PSK callbacks, peer checks, protocol code)
 * fails that connection with an SSLError and nothing else: no uncaughtException, no unhandled
 * rejection, no error reported by rxjs, and a healthy connection beside it completes its work.
 * Runs on the engine RXTLS_ENGINE selects (scripts/test-engines.js runs both).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, map } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../src/context/ssl-context.js';
import {
  CERT_NONE,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  TLSVersion,
} from '../../src/constants/ssl-constants.js';
import { SSLError } from '../../src/errors/errors.js';
import { connect } from '../../src/endpoints/connect.js';
import { runProtocol } from '../../src/endpoints/run-protocol.js';
import { createServer } from '../../src/endpoints/server.js';
import { memoryPipe } from '../../src/transport/memory-pipe.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { rejectionOf } from '../helpers/assert-error.js';
import { useNoEscape } from '../helpers/no-escape.js';
import { contextPair, usePki } from '../helpers/pki.js';
import { echo, streamPair } from '../helpers/streams.js';

const noEscape = useNoEscape(test);
const pki = usePki(test);
let weakDir = '';

test.before(() => {
  weakDir = mkdtempSync(join(tmpdir(), 'rxtls-weak-'));
  // A 1024-bit RSA leaf (below security level 2) and a leaf signed by a 1024-bit CA: what
  // cert-factory refuses to make, so openssl makes them.
  // Each command is split on spaces; {name} is a file in weakDir.
  const openssl = (command: string) =>
    execFileSync(
      'openssl',
      command
        .split(' ')
        .map((word) => word.replace(/^\{(.+)\}$/, (_, name) => join(weakDir, name))),
      { stdio: 'ignore' },
    );
  openssl(
    'req -x509 -newkey rsa:1024 -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost ' +
      '-keyout {ee-key.pem} -out {ee.pem}',
  );
  openssl('req -x509 -newkey rsa:1024 -nodes -subj /CN=weakCA -keyout {ca-key.pem} -out {ca.pem}');
  openssl('req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout {leaf-key.pem} -out {leaf.csr}');
  openssl(
    'x509 -req -in {leaf.csr} -CA {ca.pem} -CAkey {ca-key.pem} -CAcreateserial -days 2 ' +
      '-out {leaf.pem}',
  );
  const pems = ['leaf.pem', 'ca.pem'].map((name) => readFileSync(join(weakDir, name), 'utf8'));
  writeFileSync(join(weakDir, 'chain.pem'), pems.join(''));
});
test.after(() => rmSync(weakDir, { recursive: true, force: true }));

/** What ended `socket`: its error, or undefined if it closed without one. */
async function outcomeOf(socket: SSLSocket<SSLContext>): Promise<unknown> {
  await socket.handshake().catch(() => undefined);
  await firstValueFrom(socket.closed$, { defaultValue: undefined });
  return socket.error;
}

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

/**
 * Runs one connection that must fail (its server side with `serverCtx`), beside a healthy one on
 * the same reactor that must echo; returns the failing sides' errors.
 */
async function failsAlone(
  serverCtx: SSLContext,
  clientCtx: SSLContext,
  hostname: string | null = 'localhost',
): Promise<{ server: unknown; client: unknown }> {
  const reactor = new Reactor();
  const healthy = await streamPair(contextPair(pki), reactor);
  echo(healthy.server);
  const [a, b] = memoryPipe();
  const client = clientCtx.wrapSocket(a, {
    reactor,
    ...(hostname === null ? {} : { serverHostname: hostname }),
  });
  const clientOutcome = outcomeOf(client);
  let serverOutcome: Promise<unknown>;
  try {
    const server = serverCtx.wrapSocket(b, { serverSide: true, reactor });
    serverOutcome = outcomeOf(server);
  } catch (error) {
    // An engine may refuse the context when the connection is made (as wrap_socket raises):
    // the caller hears it; the peer sees the transport close.
    b.destroy();
    serverOutcome = Promise.resolve(error);
  }
  const [serverError, clientError] = await Promise.all([serverOutcome, clientOutcome]);
  // The healthy connection still works.
  healthy.client.write('still here');
  const answer = await firstValueFrom(healthy.client.data$);
  assert.is(Buffer.from(answer).toString(), 'still here');
  await Promise.all([healthy.client.close(), reactor.shutdown({ timeoutMs: 5_000 })]);
  await noEscape.check();
  return { server: serverError, client: clientError };
}

function weakServer(chain: string, key: string): SSLContext | SSLError {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
  try {
    ctx.loadCertChain(join(weakDir, chain), join(weakDir, key));
  } catch (error) {
    // Python refuses these at load time; refusing there contains the failure too.
    assert.instance(error, SSLError);
    return error as SSLError;
  }
  return ctx;
}

function verifyingClient(): SSLContext {
  const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
  ctx.loadVerifyLocations({ cafile: pki.path('ca') });
  return ctx;
}

/** Options of a verifying client of the server on `port`. */
function clientOptions(port: number) {
  return { host: '127.0.0.1', port, context: verifyingClient(), serverHostname: 'localhost' };
}

/** Writes `text` on `socket`, answers the first chunk echoed back, and closes the socket. */
async function echoOf(socket: SSLSocket<SSLContext>, text: string): Promise<string> {
  socket.write(text);
  const answer = Buffer.from(await firstValueFrom(socket.data$)).toString();
  await socket.close();
  return answer;
}

function uncheckedClient(): SSLContext {
  const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
  ctx.checkHostname = false;
  ctx.verifyMode = CERT_NONE;
  return ctx;
}

for (const [name, chain, key, reason] of [
  ['an end-entity key', 'ee.pem', 'ee-key.pem', 'EE_KEY_TOO_SMALL'],
  ['a CA key', 'chain.pem', 'leaf-key.pem', 'CA_KEY_TOO_SMALL'],
] as const) {
  test(`a server whose chain has ${name} too small fails only that connection`, async () => {
    const ctx = weakServer(chain, key);
    if (ctx instanceof SSLError) {
      assert.is(ctx.reason, reason);
      return;
    }
    const { server, client } = await failsAlone(ctx, uncheckedClient());
    assert.instance(server, SSLError);
    assert.is((server as SSLError).reason, reason);
    assert.instance(client, SSLError);
  });

  test(`an SNI callback switching to a context with ${name} too small fails only that connection`, async () => {
    const weak = weakServer(chain, key);
    if (weak instanceof SSLError) return;
    const { serverCtx } = contextPair(pki);
    serverCtx.sniCallback = (sslobj) => {
      sslobj.context = weak;
      return null;
    };
    const { server, client } = await failsAlone(serverCtx, uncheckedClient());
    assert.instance(server, SSLError);
    assert.instance(client, SSLError);
  });
}

test('a server over TCP whose context an engine refuses keeps serving its other connections', async () => {
  const weak = weakServer('ee.pem', 'ee-key.pem');
  if (weak instanceof SSLError) return;
  let broken = true;
  const { serverCtx } = contextPair(pki);
  // The first connection meets the weak context (chosen by the SNI callback), the second not.
  serverCtx.sniCallback = (sslobj) => {
    if (broken) sslobj.context = weak;
    broken = false;
    return null;
  };
  const server = createServer({ context: serverCtx }, (socket) => echo(socket));
  const { port } = await server.listen();
  try {
    const failed = await rejectionOf(
      connect({ host: '127.0.0.1', port, context: uncheckedClient(), serverHostname: 'localhost' }),
    );
    assert.instance(failed, SSLError);
    assert.is(await echoOf(await connect(clientOptions(port)), 'still here'), 'still here');
  } finally {
    await server.close({ timeoutMs: 5_000 });
  }
  await noEscape.check();
});

test('a server whose onSocket callback throws fails only that connection', async () => {
  let calls = 0;
  const server = createServer({ context: contextPair(pki).serverCtx }, (socket) => {
    calls += 1;
    if (calls === 1) throw new Error('onSocket broke');
    echo(socket);
  });
  const { port } = await server.listen();
  try {
    const first = await rejectionOf(
      connect(clientOptions(port)).then((socket) => firstValueFrom(socket.data$)),
    );
    assert.instance(first, Error);
    assert.is(await echoOf(await connect(clientOptions(port)), 'still here'), 'still here');
  } finally {
    await server.close({ timeoutMs: 5_000 });
  }
  await noEscape.check();
});

test('a key log file that cannot be written fails only that connection', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-keylog-'));
  const { serverCtx } = contextPair(pki);
  serverCtx.keylogFilename = join(dir, 'keys.log');
  rmSync(dir, { recursive: true, force: true });
  // The server fails when it writes its first key log line, after its flight: a TLS 1.3 client
  // may complete its handshake and then see the connection end, as with Python's server.
  const { server } = await failsAlone(serverCtx, verifyingClient());
  assert.instance(server, SSLError);
  assert.instance((server as SSLError).cause, Error);
});

test('an SNI callback that throws fails only that connection', async () => {
  const { serverCtx } = contextPair(pki);
  serverCtx.sniCallback = () => {
    throw new Error('SNI callback broke');
  };
  const { server, client } = await failsAlone(serverCtx, verifyingClient());
  assert.instance(server, SSLError);
  assert.is((server as SSLError).reason, 'CALLBACK_FAILED');
  assert.instance(client, SSLError);
});

for (const side of ['server', 'client'] as const) {
  test(`a PSK ${side} callback that throws fails only that connection`, async () => {
    const serverCtx = new SSLContext(PROTOCOL_TLS_SERVER);
    serverCtx.maximumVersion = TLSVersion.TLSv1_2;
    serverCtx.setCiphers('PSK');
    serverCtx.setPskServerCallback((identity) => {
      if (side === 'server') throw new Error(`no key for ${identity}`);
      return KEY;
    });
    const clientCtx = uncheckedClient();
    clientCtx.maximumVersion = TLSVersion.TLSv1_2;
    clientCtx.setCiphers('PSK');
    clientCtx.setPskClientCallback(() => {
      if (side === 'client') throw new Error('no identity');
      return ['client-1', KEY];
    });
    const { server, client } = await failsAlone(serverCtx, clientCtx);
    assert.instance(server, SSLError);
    assert.instance(client, SSLError);
  });
}

test('a peer check that throws fails only that connection', async () => {
  const clientCtx = verifyingClient();
  clientCtx.addPeerCheck(() => {
    throw new TypeError('pin mismatch');
  });
  // The server may complete first (TLS 1.3): only the client is bound to fail.
  const { client } = await failsAlone(contextPair(pki).serverCtx, clientCtx);
  assert.instance(client, SSLError);
  assert.is((client as SSLError).reason, 'CERTIFICATE_VERIFY_FAILED');
});

for (const where of ['connectionMade', 'dataReceived', 'connectionLost'] as const) {
  test(`a Protocol whose ${where} throws fails only that connection`, async () => {
    const reactor = new Reactor();
    const contexts = contextPair(pki);
    const { client, server } = await streamPair(contexts, reactor);
    class Broken {
      connectionMade(): void {
        if (where === 'connectionMade') throw new Error('made');
      }
      dataReceived(): void {
        if (where === 'dataReceived') throw new Error('data');
        server.destroy();
      }
      connectionLost(): void {
        if (where === 'connectionLost') throw new Error('lost');
      }
    }
    const { done } = runProtocol(server, Broken);
    client.write('hello');
    await done;
    await firstValueFrom(client.closed$, { defaultValue: 0 });
    await reactor.shutdown({ timeoutMs: 5_000 });
    await noEscape.check();
  });
}

test('a protocol function whose output fails or that throws fails only that connection', async () => {
  for (const fn of [
    () => {
      throw new Error('at once');
    },
    (input: SSLSocket['data$']) =>
      input.pipe(
        map(() => {
          throw new Error('later');
        }),
      ),
  ]) {
    const reactor = new Reactor();
    const { client, server } = await streamPair(contextPair(pki), reactor);
    const { done } = runProtocol(server, fn);
    client.write('hello');
    await done;
    assert.instance(server.error, Error);
    await reactor.shutdown({ timeoutMs: 5_000 });
    await noEscape.check();
  }
});

test.run();
