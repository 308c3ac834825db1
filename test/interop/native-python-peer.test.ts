/**
 * The native engine against a real Python SSLObject: Python runs as a child process and the two
 * sides exchange ciphertext as JSON lines, so every byte crosses between the two implementations.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EngineConfig, TlsEngine } from '../../src/transport/sansio/engine.js';
import { type SSLError, SSLWantReadError } from '../../src/errors/errors.js';
import { MemoryBIO } from '../../src/transport/sansio/memory-bio.js';
import {
  createNativeEngine,
  nativeEngineAvailable,
} from '../../src/transport/engines/native/native-engine.js';
import { handshake as handshakeNatives, pair } from '../helpers/native-engine-pair.js';
import { engineConfig, usePki } from '../helpers/pki.js';

const MAX_ROUNDS = 20;

/** A Python SSLObject over memory BIOs, driven by one JSON line per exchange. */
const PEER = `
import ssl, sys, json
cfg = json.loads(sys.stdin.readline())
server = cfg['server']
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
if server:
    ctx.load_cert_chain(cfg['cert'], cfg['key'])
else:
    ctx.load_verify_locations(cfg['ca'])
if cfg.get('max'):
    ctx.maximum_version = getattr(ssl.TLSVersion, cfg['max'])
if cfg.get('alpn'):
    ctx.set_alpn_protocols(cfg['alpn'])
i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(i, o, server_side=server, server_hostname=cfg.get('hostname'))
done = False
for line in sys.stdin:
    msg = json.loads(line)
    reply = {}
    received = b''
    if msg.get('data'):
        i.write(bytes.fromhex(msg['data']))
    try:
        if not done:
            obj.do_handshake()
            done = True
            cb = obj.get_channel_binding('tls-unique')
            reply['handshake'] = {'version': obj.version(), 'cipher': list(obj.cipher()),
                'alpn': obj.selected_alpn_protocol(), 'tlsUnique': cb.hex() if cb else None}
        if msg.get('send'):
            obj.write(bytes.fromhex(msg['send']))
        while True:
            chunk = obj.read(65536)
            if not chunk:
                reply['closeNotify'] = True
                break
            received += chunk
    except ssl.SSLWantReadError:
        pass
    except ssl.SSLError as e:
        reply['error'] = [type(e).__name__, str(e), e.reason]
    if msg.get('unwrap'):
        try:
            obj.unwrap()
            reply['unwrapped'] = True
        except ssl.SSLError as e:
            reply['unwrapError'] = type(e).__name__
    reply['received'] = received.hex()
    reply['out'] = o.read().hex()
    print(json.dumps(reply), flush=True)
`;

interface Reply {
  out: string;
  handshake?: {
    version: string;
    cipher: [string, string, number];
    alpn: string | null;
    tlsUnique: string | null;
  };
  received?: string;
  closeNotify?: boolean;
  error?: [string, string, string | null];
  unwrapped?: boolean;
  unwrapError?: string;
}

/** A running Python peer. */
class PythonPeer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #waiting: ((line: string) => void)[] = [];

  constructor(config: Record<string, unknown>) {
    this.#child = spawn('python3', ['-I', '-c', PEER]);
    this.#lines = createInterface({ input: this.#child.stdout });
    this.#lines.on('line', (line) => this.#waiting.shift()?.(line));
    this.#child.stdin.write(`${JSON.stringify(config)}\n`);
  }

  exchange(message: { data?: Buffer; send?: string; unwrap?: boolean }): Promise<Reply> {
    return new Promise((resolve) => {
      this.#waiting.push((line) => resolve(JSON.parse(line) as Reply));
      this.#child.stdin.write(
        `${JSON.stringify({
          data: message.data?.toString('hex'),
          send: message.send === undefined ? undefined : Buffer.from(message.send).toString('hex'),
          unwrap: message.unwrap,
        })}\n`,
      );
    });
  }

  close(): void {
    this.#child.stdin.end();
    this.#lines.close();
  }
}

const pki = usePki(test);

function config(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return engineConfig(pki, overrides);
}

/** Drives `engine` against `peer` until both handshakes end; returns the peer's handshake info. */
async function handshake(
  engine: TlsEngine,
  incoming: MemoryBIO,
  outgoing: MemoryBIO,
  peer: PythonPeer,
) {
  let info: Reply['handshake'];
  let peerError: Reply['error'];
  let localError: unknown;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (!engine.handshakeComplete && localError === undefined) {
      try {
        engine.doHandshake();
      } catch (error) {
        if (!(error instanceof SSLWantReadError)) localError = error;
      }
    }
    const reply = await peer.exchange({ data: outgoing.read() });
    info ??= reply.handshake;
    peerError ??= reply.error;
    if (reply.out.length > 0) incoming.write(Buffer.from(reply.out, 'hex'));
    const localDone = engine.handshakeComplete || localError !== undefined;
    if (
      localDone &&
      (info !== undefined || peerError !== undefined) &&
      incoming.pending === 0 &&
      outgoing.pending === 0
    )
      break;
  }
  return { info, peerError, localError };
}

if (!nativeEngineAvailable()) {
  test('the native engine is unavailable, so the Python peer tests are skipped', () => {
    assert.is(nativeEngineAvailable(), false);
  });
} else {
  test('a native client and a Python server agree on the session and close cleanly', async () => {
    const peer = new PythonPeer({
      server: true,
      cert: pki.path('server'),
      key: pki.path('server-key'),
      alpn: ['h2'],
    });
    try {
      const incoming = new MemoryBIO();
      const outgoing = new MemoryBIO();
      const client = createNativeEngine(
        config({ alpnProtocols: ['h2'] }),
        { serverSide: false, serverHostname: 'localhost', session: null },
        incoming,
        outgoing,
      );
      const { info, localError } = await handshake(client, incoming, outgoing, peer);
      assert.is(localError, undefined);
      assert.is(info?.version, client.version());
      assert.equal(info?.cipher, client.cipher());
      assert.is(info?.alpn, client.selectedAlpnProtocol());
      assert.is(info?.tlsUnique, client.channelBinding('tls-unique')?.toString('hex'));

      client.write(Buffer.from('ping from node'));
      const echo = await peer.exchange({ data: outgoing.read(), send: 'pong from python' });
      assert.is(Buffer.from(echo.received ?? '', 'hex').toString(), 'ping from node');
      incoming.write(Buffer.from(echo.out, 'hex'));
      assert.is(client.read(1024).toString(), 'pong from python');

      assert.throws(
        () => client.shutdown(),
        (e: unknown) => e instanceof SSLWantReadError,
      );
      const closing = await peer.exchange({ data: outgoing.read(), unwrap: true });
      assert.is(closing.closeNotify, true);
      assert.is(closing.unwrapped, true);
      incoming.write(Buffer.from(closing.out, 'hex'));
      client.shutdown();
      assert.throws(
        () => client.read(1024),
        (e: unknown) => (e as SSLError).errno === 6,
      );
    } finally {
      peer.close();
    }
  });

  test('a Python client and a native TLS 1.2 server agree, and both see the same verify error', async () => {
    const server = config({
      serverSide: true,
      verifyMode: 0,
      checkHostname: false,
      caCerts: [],
      maxVersion: 0x0303,
      credentials: [{ certChainPem: pki.serverRsa.cert, keyPem: pki.serverRsa.key }],
    });
    const peer = new PythonPeer({ server: false, ca: pki.path('ca'), hostname: 'localhost' });
    try {
      const incoming = new MemoryBIO();
      const outgoing = new MemoryBIO();
      const engine = createNativeEngine(
        server,
        { serverSide: true, serverHostname: null, session: null },
        incoming,
        outgoing,
      );
      const first = await peer.exchange({});
      incoming.write(Buffer.from(first.out, 'hex'));
      const { info, localError } = await handshake(engine, incoming, outgoing, peer);
      assert.is(localError, undefined);
      assert.is(info?.version, 'TLSv1.2');
      assert.equal(info?.cipher, engine.cipher());
      assert.is(info?.tlsUnique, engine.channelBinding('tls-unique')?.toString('hex'));
    } finally {
      peer.close();
    }

    const strict = new PythonPeer({
      server: false,
      ca: pki.path('ca'),
      hostname: 'other.example',
    });
    try {
      const incoming = new MemoryBIO();
      const outgoing = new MemoryBIO();
      const engine = createNativeEngine(
        server,
        { serverSide: true, serverHostname: null, session: null },
        incoming,
        outgoing,
      );
      const first = await strict.exchange({});
      incoming.write(Buffer.from(first.out, 'hex'));
      const { peerError, localError } = await handshake(engine, incoming, outgoing, strict);
      // The native client, against the same server and name, says exactly what Python says.
      const { clientError } = handshakeNatives(pair(config({}), server, 'other.example'));
      assert.is(peerError?.[0], 'SSLCertVerificationError');
      assert.is((clientError as SSLError).message, peerError?.[1].replace(/ \(_ssl\.c:\d+\)$/, ''));
      assert.is(
        (localError as SSLError).message,
        '[SSL: SSLV3_ALERT_BAD_CERTIFICATE] sslv3 alert bad certificate',
      );
    } finally {
      strict.close();
    }
  });
}

test.run();
