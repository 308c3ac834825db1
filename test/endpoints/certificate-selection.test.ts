/**
 * Certificates chosen per client over real TCP: createServer's streams wait for the context's
 * asynchronous certificate selector and go on with the same handshake, one connection's failed or
 * timed-out lookup ends that connection alone, and real peers (openssl s_client, Python) see the
 * chosen certificate. Runs on whichever engine RXTLS_ENGINE names.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { Subject, firstValueFrom } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDefaultContext } from '../../src/context/default-context.js';
import { SSLContext } from '../../src/context/ssl-context.js';
import { connect } from '../../src/endpoints/connect.js';
import { createServer, type Server } from '../../src/endpoints/server.js';
import {
  ALERT_DESCRIPTION_UNRECOGNIZED_NAME,
  PROTOCOL_TLS_SERVER,
  Purpose,
} from '../../src/constants/ssl-constants.js';
import { isWouldBlock, SSLEOFError, SSLError, TLSTimeoutError } from '../../src/errors/errors.js';
import { MemoryBIO } from '../../src/transport/sansio/memory-bio.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { usePki } from '../helpers/pki.js';
import { echo, echoOnce } from '../helpers/streams.js';

const run = promisify(execFile);
const pki = usePki(test);

function serverContext(name: string): SSLContext {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
  ctx.loadCertChain(pki.path(name), pki.path(`${name}-key`));
  return ctx;
}

function clientContext(): SSLContext {
  return createDefaultContext(Purpose.SERVER_AUTH, { cafile: pki.path('ca') });
}

/** A server whose lookups the test answers: each starts by announcing itself on `lookups`. */
interface Lookup {
  readonly serverName: string | null;
  resolve(choice: SSLContext | number | null): void;
  reject(error: unknown): void;
}

async function selectingServer(options: { timeoutMs?: number } = {}): Promise<{
  server: Server;
  port: number;
  lookups: Subject<Lookup>;
  failures: Error[];
  reactor: Reactor;
  alt: SSLContext;
}> {
  const reactor = new Reactor();
  const context = serverContext('server');
  const alt = serverContext('alt');
  const lookups = new Subject<Lookup>();
  context.setCertificateSelector(
    (hello) =>
      new Promise((resolve, reject) => {
        lookups.next({ serverName: hello.serverName, resolve, reject });
      }),
    options,
  );
  const failures: Error[] = [];
  const server = createServer({ context, reactor }, (socket: SSLSocket<SSLContext>) => {
    socket.handshake().catch((error: Error) => failures.push(error));
    echo(socket);
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, lookups, failures, reactor, alt };
}

/** A real peer as a child process (stdin closed at once): what it printed, both streams. */
async function peer(command: string, args: string[]): Promise<string> {
  const running = run(command, args, { timeout: 20_000 });
  running.child.stdin?.end();
  const { stdout, stderr } = await running;
  return `${stdout}${stderr}`;
}

function commonName(socket: SSLSocket<SSLContext>): string | undefined {
  const cert = socket.getpeercert() as { subject?: [string, string][][] } | null;
  return cert?.subject?.flat().find(([k]) => k === 'commonName')?.[1];
}

test('a lookup answered later: the TCP connection completes its handshake with the chosen certificate', async () => {
  const { server, port, lookups, alt } = await selectingServer();
  const started = firstValueFrom(lookups);
  const connecting = connect({
    host: '127.0.0.1',
    port,
    context: clientContext(),
    serverHostname: 'alt.test',
  });
  const lookup = await started;
  assert.is(lookup.serverName, 'alt.test');
  lookup.resolve(alt);
  const socket = await connecting;
  assert.is(commonName(socket), 'alt.test');
  assert.is(await echoOnce(socket, 'hello'), 'hello');
  await socket.close();
  await server.close({ timeoutMs: 2_000 });
});

test('a rejected lookup ends that connection with an alert and its own error; a parallel one succeeds', async () => {
  const { server, port, lookups, failures, alt, reactor } = await selectingServer();
  const seen: Lookup[] = [];
  const both = new Promise<void>((resolve) => {
    lookups.subscribe((lookup) => {
      seen.push(lookup);
      if (seen.length === 2) resolve();
    });
  });
  const good = connect({
    host: '127.0.0.1',
    port,
    context: clientContext(),
    serverHostname: 'alt.test',
  });
  const bad = connect({
    host: '127.0.0.1',
    port,
    context: clientContext(),
    serverHostname: 'localhost',
  });
  await both;
  const boom = new Error('secrets store unreachable');
  for (const lookup of seen) {
    if (lookup.serverName === 'localhost') lookup.reject(boom);
    else lookup.resolve(alt);
  }
  const refused = await bad.then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.instance(refused, SSLError);
  assert.is((refused as SSLError).reason, 'SSLV3_ALERT_HANDSHAKE_FAILURE');
  const socket = await good;
  assert.is(commonName(socket), 'alt.test');
  assert.is(await echoOnce(socket, 'still here'), 'still here');
  const failure = failures.find((error) => (error as SSLError).reason === 'CALLBACK_FAILED');
  assert.ok(failure, 'the server stream failed with CALLBACK_FAILED');
  assert.is(failure?.cause, boom);
  await socket.close();
  await server.close({ timeoutMs: 2_000 });
  assert.ok(reactor.stats().handshakesFailed >= 1);
});

test('a lookup that times out ends the handshake with handshake_failure (TLSTimeoutError as cause)', async () => {
  const { server, port, failures } = await selectingServer({ timeoutMs: 100 });
  const refused = await connect({
    host: '127.0.0.1',
    port,
    context: clientContext(),
    serverHostname: 'slow.test',
  }).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.is((refused as SSLError).reason, 'SSLV3_ALERT_HANDSHAKE_FAILURE');
  const failure = failures[0] as SSLError | undefined;
  assert.is(failure?.reason, 'CALLBACK_FAILED');
  assert.instance(failure?.cause, TLSTimeoutError);
  await server.close({ timeoutMs: 2_000 });
});

test('a client that leaves during the lookup ends its connection at once and aborts the lookup', async () => {
  const reactor = new Reactor();
  const context = serverContext('server');
  const started = new Subject<AbortSignal>();
  // No timeout can end this lookup first: only the client's leaving does.
  context.setCertificateSelector(
    ({ signal }) => {
      started.next(signal);
      return new Promise<never>(() => undefined);
    },
    { timeoutMs: 600_000 },
  );
  const failures: Error[] = [];
  let onFailure: () => void = () => undefined;
  const failed = new Promise<void>((resolve) => {
    onFailure = resolve;
  });
  const server = createServer({ context, reactor }, (socket: SSLSocket<SSLContext>) => {
    socket.handshake().catch((error: Error) => {
      failures.push(error);
      onFailure();
    });
  });
  const { port } = await server.listen(0, '127.0.0.1');
  // A ClientHello from a client SSLObject, sent over a plain socket that then closes.
  const hello = clientContext().wrapBio(new MemoryBIO(), new MemoryBIO(), {
    serverHostname: 'localhost',
  });
  try {
    hello.doHandshake();
  } catch (error) {
    if (!isWouldBlock(error)) throw error;
  }
  const lookup = firstValueFrom(started);
  const raw = net.connect(port, '127.0.0.1');
  raw.on('error', () => undefined);
  raw.write(hello.outgoing.read());
  const signal = await lookup;
  const aborted = new Promise((resolve) => signal.addEventListener('abort', resolve));
  raw.end();
  await failed;
  await aborted;
  assert.instance(failures[0], SSLEOFError);
  raw.destroy();
  hello.destroy();
  await server.close({ timeoutMs: 2_000 });
});

test('openssl s_client and Python see the chosen certificate, or the unrecognized_name alert', async () => {
  const { server, port, lookups, alt } = await selectingServer();
  lookups.subscribe((lookup) => {
    // Answered on a later turn, as a database would.
    setImmediate(() =>
      lookup.resolve(lookup.serverName === 'alt.test' ? alt : ALERT_DESCRIPTION_UNRECOGNIZED_NAME),
    );
  });
  const openssl = await peer('openssl', [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-servername',
    'alt.test',
    '-CAfile',
    pki.path('ca'),
    '-verify_return_error',
    '-brief',
  ]);
  assert.match(openssl, /Verification: OK/);
  assert.match(openssl, /Peer certificate: CN = alt\.test/);
  const script = `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
def attempt(name):
    try:
        with socket.create_connection(('127.0.0.1', int(sys.argv[1]))) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                return dict(x[0] for x in tls.getpeercert()['subject'])['commonName']
    except ssl.SSLError as e:
        return e.reason
print(attempt('alt.test'))
print(attempt('nobody.test'))`;
  const out = await peer('python3', ['-I', '-c', script, String(port), pki.path('ca')]);
  assert.equal(out.trim().split('\n'), ['alt.test', 'TLSV1_UNRECOGNIZED_NAME']);
  await server.close({ timeoutMs: 2_000 });
});

test.run();
