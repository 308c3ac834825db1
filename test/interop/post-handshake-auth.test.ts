/**
 * TLS 1.3 post-handshake client authentication over TCP against Python's `ssl`: an rxtls server
 * asks a Python client for its certificate after the handshake, and a Python server asks an rxtls
 * client. Native engine only: node:tls cannot do it (the SSLObject contract tests that refusal).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../src/context/ssl-context.js';
import { connect } from '../../src/endpoints/connect.js';
import { createServer } from '../../src/endpoints/server.js';
import {
  CERT_REQUIRED,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
} from '../../src/constants/ssl-constants.js';
import { engineAvailable } from '../../src/transport/engines/engines.js';
import { ValueError } from '../../src/errors/errors.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { throwsA } from '../helpers/assert-error.js';
import { type PeerProcess, PYTHON_COMMON, Peers, pythonResult } from '../helpers/peers.js';
import { usePki } from '../helpers/pki.js';

const NATIVE = engineAvailable('native');
const peers = new Peers();

test.after(async () => {
  await peers.stopAll();
});
const pki = usePki(test);

/** The common name of a certificate dictionary, or null. */
function commonName(cert: object | null): string | null {
  if (cert === null) return null;
  const subject = (cert as { subject: [string, string][][] }).subject;
  return subject.flat().find(([key]) => key === 'commonName')?.[1] ?? null;
}

/** Collects a socket's data as text and calls `onLine` for each complete line. */
function onLines(socket: SSLSocket<unknown>, onLine: (line: string) => void): void {
  let text = '';
  socket.data$.subscribe({
    next: (chunk) => {
      text += Buffer.from(chunk).toString();
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n')) {
        onLine(text.slice(0, end));
        text = text.slice(end + 1);
      }
    },
    complete: () => void socket.close(),
    error: () => undefined,
  });
}

/** A Python client with post_handshake_auth and a certificate: reads twice, answers once. */
const PYTHON_PHA_CLIENT = `${PYTHON_COMMON}
ctx = ssl.create_default_context(cafile=cfg['ca'])
ctx.load_cert_chain(cfg['cert'], cfg['key'])
ctx.post_handshake_auth = True
with socket.create_connection(('127.0.0.1', cfg['port'])) as sock:
    tls = ctx.wrap_socket(sock, server_hostname='localhost')
    first = read_line(tls).decode()   # reading also answers the CertificateRequest
    tls.sendall(b'hello\\n')
    second = read_line(tls).decode()
    tls.unwrap()
print(json.dumps({'ok': True, 'received': first + second}), flush=True)
`;

const PYTHON_PHA_SERVER = `${PYTHON_COMMON}
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cfg['cert'], cfg['key'])
ctx.load_verify_locations(cfg['ca'])
ctx.verify_mode = ssl.CERT_REQUIRED
ctx.post_handshake_auth = True
conn = accept_one()
tls = ctx.wrap_socket(conn, server_side=True)
before = tls.getpeercert()
tls.verify_client_post_handshake()
tls.sendall(b'request\\n')   # carries the CertificateRequest
data = read_line(tls)
cert = tls.getpeercert()
cn = dict(x[0] for x in cert['subject'])['commonName'] if cert else None
tls.sendall(('cert: %s\\n' % cn).encode())
tls.unwrap()
print(json.dumps({'ok': True, 'received': data.decode(), 'before': before, 'peerCommonName': cn}), flush=True)
`;

test('an rxtls server asks a Python client for its certificate after the handshake and gets it', async () => {
  if (!NATIVE) return;
  const context = new SSLContext(PROTOCOL_TLS_SERVER, { engine: 'native' });
  context.loadCertChain(pki.path('server'), pki.path('server-key'));
  context.loadVerifyLocations({ cafile: pki.path('ca') });
  context.verifyMode = CERT_REQUIRED;
  context.postHandshakeAuth = true;
  const reactor = new Reactor();
  const seen: (string | null)[] = [];
  const server = createServer({ context, reactor }, (socket) => {
    void socket.handshake().then(() => {
      seen.push(commonName(socket.getpeercert()));
      socket.verifyClientPostHandshake();
      socket.write('request\n');
      onLines(socket, () => {
        // The client's certificate came before its data: the read that returned it saw both.
        const cn = commonName(socket.getpeercert());
        seen.push(cn);
        socket.write(`cert: ${cn}\n`);
      });
    });
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const client: PeerProcess = peers.spawnPython('python pha client', PYTHON_PHA_CLIENT, {
    port,
    ca: pki.path('ca'),
    cert: pki.path('client'),
    key: pki.path('client-key'),
  });
  const result = await pythonResult(client);
  await server.close();
  await reactor.shutdown();
  assert.equal(result, { ok: true, received: 'request\ncert: client\n' }, client.output);
  assert.equal(seen, [null, 'client']);
});

test('an rxtls client with postHandshakeAuth answers a Python server that asks after the handshake', async () => {
  if (!NATIVE) return;
  const server = peers.spawnPython('python pha server', PYTHON_PHA_SERVER, {
    ca: pki.path('ca'),
    cert: pki.path('server'),
    key: pki.path('server-key'),
  });
  const port = await server.announcedPort();
  const context = new SSLContext(PROTOCOL_TLS_CLIENT, { engine: 'native' });
  context.loadVerifyLocations({ cafile: pki.path('ca') });
  context.loadCertChain(pki.path('client'), pki.path('client-key'));
  context.postHandshakeAuth = true;
  const reactor = new Reactor();
  const socket = await connect({
    host: '127.0.0.1',
    port,
    serverHostname: 'localhost',
    context,
    reactor,
  });
  const lines: string[] = [];
  const closed = new Promise<void>((resolve) => socket.closed$.subscribe(() => resolve()));
  onLines(socket, (line) => {
    lines.push(line);
    if (line === 'request') socket.write('hello\n');
  });
  await closed;
  await reactor.shutdown();
  const result = (await pythonResult(server)) as unknown as Record<string, unknown>;
  assert.equal(lines, ['request', 'cert: client']);
  assert.equal(result, { ok: true, received: 'hello\n', before: null, peerCommonName: 'client' });
});

test('an SSLSocket refuses verifyClientPostHandshake() once it is closing', async () => {
  if (!NATIVE) return;
  const context = new SSLContext(PROTOCOL_TLS_SERVER, { engine: 'native' });
  context.loadCertChain(pki.path('server'), pki.path('server-key'));
  context.postHandshakeAuth = true;
  const reactor = new Reactor();
  let refused: Error | undefined;
  const server = createServer({ context, reactor }, (socket) => {
    void socket.handshake().then(() => {
      void socket.close();
      refused = throwsA(() => socket.verifyClientPostHandshake(), ValueError);
    });
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const clientContext = new SSLContext(PROTOCOL_TLS_CLIENT, { engine: 'native' });
  clientContext.loadVerifyLocations({ cafile: pki.path('ca') });
  const socket = await connect({
    host: '127.0.0.1',
    port,
    serverHostname: 'localhost',
    context: clientContext,
    reactor,
  });
  await new Promise<void>((resolve) => {
    socket.data$.subscribe({ complete: resolve, error: () => resolve() });
  });
  await socket.close();
  await server.close();
  await reactor.shutdown();
  assert.match(
    String(refused?.message),
    /cannot request a client certificate on a (flushing|closing) SSLSocket/,
  );
});

test.run();
