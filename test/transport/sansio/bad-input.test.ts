/**
 * Bad ciphertext fed to SSLObjects over memory: garbage instead of a ClientHello, HTTP on the TLS
 * port, oversized and truncated records, a bare EOF, and 200 rounds of seeded random bytes. Each
 * ends in the SSLError (class and OpenSSL reason) a Python SSLObject reports for the same bytes,
 * never in a hang or an unhandled exception, and the context keeps serving other connections.
 */
import { filter, firstValueFrom, timeout } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../../src/context/ssl-context.js';
import {
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  TLSVersion,
} from '../../../src/constants/ssl-constants.js';
import { SSLError } from '../../../src/errors/errors.js';
import { MAX_CIPHERTEXT_RECORD } from '../../../src/transport/limits.js';
import { MemoryBIO } from '../../../src/transport/sansio/memory-bio.js';
import type { SSLObject } from '../../../src/transport/sansio/ssl-object.js';
import { usePki } from '../../helpers/pki.js';
import { failureOf, handshake } from '../../helpers/pump.js';
import {
  type AfterHandshakeCase,
  type PythonBadInputVerdict,
  pythonBadInput,
  type RawInputCase,
} from '../../helpers/python-bad-input.js';

const test = suite('bad input: SSLError as Python reports it, and nothing else affected');
const RANDOM_ROUNDS = 200;
const SEED = 0x5eed_7150;
const DEADLINE_MS = 20_000;
const VERSIONS = ['TLSv1_2', 'TLSv1_3'] as const;
const AFTER_CASES: AfterHandshakeCase[] = [
  'truncated-record-then-eof',
  'oversized-record',
  'forged-record',
  'bare-eof',
];

interface NamedCase extends RawInputCase {
  name: string;
}

const pki = usePki(test);
let fixed: NamedCase[];
let random: RawInputCase[];
let verdicts: { before: PythonBadInputVerdict[]; after: PythonBadInputVerdict[] };
const afterVerdicts = new Map<string, PythonBadInputVerdict[]>();

/** mulberry32: a tiny seeded generator, so every run feeds the same "random" bytes. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Random inputs of four shapes, from pure noise to a plausible handshake record header. */
function randomInputs(count: number): RawInputCase[] {
  const next = seeded(SEED);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => (next() * 256) | 0));
  return Array.from({ length: count }, (_, i) => {
    const body = bytes(1 + ((next() * 600) | 0));
    let data: Buffer;
    switch (i % 4) {
      case 0:
        data = body;
        break;
      case 1: // a handshake header with a random length
        data = Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), bytes(2), body]);
        break;
      case 2: // a consistent header over a random ClientHello body
        data = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0, 0, 0x01]), body]);
        data.writeUInt16BE(body.length + 1, 3);
        break;
      default: // a TLS 1.2 header with a short length
        data = Buffer.concat([Buffer.from([0x16, 0x03, 0x03, 0, next() * 64]), body]);
    }
    return { hex: data.toString('hex'), eof: true };
  });
}

function serverContext(maxVersion?: (typeof VERSIONS)[number]): SSLContext {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER, { engine: 'node' });
  ctx.loadCertChain(pki.path('server'), pki.path('server-key'));
  if (maxVersion) ctx.maximumVersion = TLSVersion[maxVersion];
  return ctx;
}

function clientContext(): SSLContext {
  const ctx = new SSLContext(PROTOCOL_TLS_CLIENT, { engine: 'node' });
  ctx.loadVerifyLocations({ cafile: pki.path('ca') });
  return ctx;
}

function wrapServer(ctx: SSLContext): SSLObject {
  return ctx.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });
}

/** Waits until `obj` has written ciphertext (the node engine may write on a later turn). */
async function outgoingOf(obj: SSLObject, start: () => void): Promise<Buffer> {
  try {
    start();
  } catch {
    // want-read: the first flight is on its way
  }
  while (obj.outgoing.pending === 0) {
    await new Promise<void>((resolve) => {
      const subscription = obj.readiness$.subscribe(() => {
        subscription.unsubscribe();
        resolve();
      });
    });
  }
  return obj.outgoing.read();
}

/**
 * Waits until `obj` writes a record whose header is `header` (hex): a failed object's alert,
 * which the node engine hands over on a later turn, possibly after session tickets.
 */
async function recordWithHeader(obj: SSLObject, header: string): Promise<void> {
  let written = Buffer.alloc(0);
  for (;;) {
    written = Buffer.concat([written, obj.outgoing.read()]);
    for (let at = 0; at + 5 <= written.length; at += 5 + written.readUInt16BE(at + 3)) {
      if (written.subarray(at, at + 5).toString('hex') === header) return;
    }
    await firstValueFrom(
      obj.readiness$.pipe(
        filter((event) => event.type === 'want-write'),
        timeout(DEADLINE_MS),
      ),
    );
  }
}

/** rxtls's verdict on `input` fed to a fresh server made from `ctx`. */
async function feedFresh(ctx: SSLContext, input: RawInputCase): Promise<PythonBadInputVerdict> {
  const server = wrapServer(ctx);
  server.incoming.write(Buffer.from(input.hex, 'hex'));
  if (input.eof) server.incoming.writeEof();
  const error = await failureOf(server, () => server.doHandshake());
  const alert = server.outgoing.read().toString('hex');
  server.destroy();
  return verdictOf(error, alert);
}

function verdictOf(error: unknown, alert: string): PythonBadInputVerdict {
  if (!(error instanceof SSLError)) throw error;
  return { error: error.name, reason: error.reason ?? null, alert };
}

test.before(async () => {
  const client = clientContext().wrapBio(new MemoryBIO(), new MemoryBIO(), {
    serverHostname: 'localhost',
  });
  const clientHello = await outgoingOf(client, () => client.doHandshake());
  client.destroy();
  const oversized = Buffer.alloc(5 + 100, 1);
  Buffer.from([0x16, 0x03, 0x01]).copy(oversized);
  oversized.writeUInt16BE(MAX_CIPHERTEXT_RECORD + 1, 3);
  const text = (s: string) => Buffer.from(s, 'latin1').toString('hex');
  fixed = [
    {
      name: 'an HTTP GET request',
      hex: text('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'),
      eof: false,
    },
    {
      name: 'an HTTP POST request',
      hex: text('POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n'),
      eof: false,
    },
    { name: 'an HTTP/2 preface', hex: text('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), eof: false },
    { name: 'zero bytes', hex: '00'.repeat(64), eof: true },
    { name: 'a line of text', hex: text('hello world\n'), eof: true },
    { name: 'a header announcing 2^14+2048+1 bytes', hex: oversized.toString('hex'), eof: false },
    {
      name: 'application data before any handshake',
      hex: `1703030010${'00'.repeat(16)}`,
      eof: false,
    },
    { name: 'half a record header, then EOF', hex: '1603', eof: true },
    {
      name: 'half a ClientHello, then EOF',
      hex: clientHello.subarray(0, clientHello.length >> 1).toString('hex'),
      eof: true,
    },
    { name: 'a bare EOF', hex: '', eof: true },
  ];
  random = randomInputs(RANDOM_ROUNDS);
  const common = { cert: pki.path('server'), key: pki.path('server-key'), ca: pki.path('ca') };
  verdicts = pythonBadInput({ ...common, before: [...fixed, ...random], after: [] });
  for (const maxVersion of VERSIONS) {
    afterVerdicts.set(
      maxVersion,
      pythonBadInput({ ...common, maxVersion, before: [], after: AFTER_CASES }).after,
    );
  }
});

test('garbage, HTTP, oversized and truncated input instead of a ClientHello fail as in Python', async () => {
  const ctx = serverContext();
  for (const [i, input] of fixed.entries()) {
    const ours = await feedFresh(ctx, input);
    const python = verdicts.before[i] as PythonBadInputVerdict;

    assert.equal(ours.error, python.error, input.name);
    assert.equal(ours.reason, python.reason, input.name);
    // OpenSSL's own alert goes out as from Python (only a bare EOF differs: Python still writes a
    // decode_error alert, the node engine sees the EOF before OpenSSL does and writes nothing).
    if (!input.eof) assert.is(ours.alert, python.alert, input.name);
  }
});

for (const maxVersion of VERSIONS) {
  test(`truncated, oversized and forged records after a ${maxVersion} handshake fail as in Python`, async () => {
    for (const [i, kind] of AFTER_CASES.entries()) {
      const client = clientContext().wrapBio(new MemoryBIO(), new MemoryBIO(), {
        serverHostname: 'localhost',
      });
      const server = wrapServer(serverContext(maxVersion));
      await handshake(client, server);
      if (kind === 'truncated-record-then-eof') {
        const record = await outgoingOf(client, () => client.write(Buffer.alloc(100, 'x')));
        server.incoming.write(record.subarray(0, record.length >> 1));
        server.incoming.writeEof();
      } else if (kind === 'oversized-record') {
        server.incoming.write(
          Buffer.concat([Buffer.from('1703034801', 'hex'), Buffer.alloc(100, 1)]),
        );
      } else if (kind === 'forged-record') {
        server.incoming.write(Buffer.concat([Buffer.from('1703030020', 'hex'), Buffer.alloc(32)]));
      } else {
        server.incoming.writeEof();
      }
      const ours = verdictOf(await failureOf(server, () => server.read(1024)), '');
      const python = afterVerdicts.get(maxVersion)?.[i] as PythonBadInputVerdict;
      if (kind === 'oversized-record' || kind === 'forged-record') {
        // OpenSSL's fatal alert, encrypted: the same record header as Python's.
        await recordWithHeader(server, python.alert.slice(0, 10));
      }

      assert.is(ours.error, python.error, kind);
      assert.is(ours.reason, python.reason, kind);
      client.destroy();
      server.destroy();
    }
  });
}

test(`${RANDOM_ROUNDS} rounds of random bytes each end in Python's SSLError, never a hang or a crash`, async () => {
  const ctx = serverContext();
  const unhandled: unknown[] = [];
  const record = (error: unknown) => unhandled.push(error);
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  const mismatches: string[] = [];
  try {
    for (const [i, input] of random.entries()) {
      const ours = await feedFresh(ctx, input);
      const python = verdicts.before[fixed.length + i] as PythonBadInputVerdict;
      if (ours.error !== python.error || ours.reason !== python.reason) {
        mismatches.push(`#${i} ${input.hex.slice(0, 16)}: ${JSON.stringify([ours, python])}`);
      }
    }
  } finally {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
  }
  assert.equal(unhandled, []);

  assert.equal(mismatches, []);
  // The context that refused all of that still serves a real client.
  const client = clientContext().wrapBio(new MemoryBIO(), new MemoryBIO(), {
    serverHostname: 'localhost',
  });
  const server = wrapServer(ctx);
  await handshake(client, server);
  assert.is(server.version(), 'TLSv1.3');
});

test.run();
