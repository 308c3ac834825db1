/**
 * Fuzzing the record layer of the engine RXTLS_ENGINE selects: after a handshake, the client's
 * records reach the server split at random points, merged, reordered or with a byte corrupted.
 * Split and merged records deliver the data intact; reordered or corrupted ones fail that
 * connection with an SSLError, and on a fixed sample with the reason Python's server gives for
 * the same damage to its own records. Seeds and runs: test/helpers/fuzz.ts.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isWouldBlock, SSLError } from '../../src/errors/errors.js';
import { handshake, nextEvent } from '../../src/testing/pump.js';
import { MemoryBIO } from '../../src/transport/sansio/memory-bio.js';
import { fuzzParameters } from '../helpers/fuzz.js';
import { useNoEscape } from '../helpers/no-escape.js';
import { contextPair, usePki } from '../helpers/pki.js';
import { python } from '../helpers/python.js';

const pki = usePki(test);
const noEscape = useNoEscape(test);

/** What the client sends: one record each. */
const MESSAGES = ['first message', 'second, a little longer message', 'third'];
const EXPECTED = MESSAGES.join('');

/** What happens to the client's records on the way. */
type Damage =
  | { kind: 'split'; cuts: number[] }
  | { kind: 'merge' }
  | { kind: 'reorder'; first: number; second: number }
  | { kind: 'corrupt'; record: number; offset: number; xor: number };

const damageArbitrary: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({
    kind: fc.constant('split' as const),
    cuts: fc.array(fc.nat({ max: 200 }), { maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('merge' as const) }),
  fc
    .record({
      kind: fc.constant('reorder' as const),
      first: fc.nat({ max: MESSAGES.length - 1 }),
      second: fc.nat({ max: MESSAGES.length - 1 }),
    })
    .filter((d) => d.first !== d.second),
  fc.record({
    kind: fc.constant('corrupt' as const),
    record: fc.nat({ max: MESSAGES.length - 1 }),
    offset: fc.nat({ max: 60 }),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
);

/** Splits a run of TLS records at their headers. */
function records(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 5 <= bytes.length; ) {
    const end = at + 5 + bytes.readUInt16BE(at + 3);
    out.push(bytes.subarray(at, end));
    at = end;
  }
  return out;
}

/** The chunks the server receives, in order. */
function damaged(bytes: Buffer, damage: Damage): Buffer[] {
  const list = records(bytes).map((r) => Buffer.from(r));
  switch (damage.kind) {
    case 'merge':
      return [Buffer.concat(list)];
    case 'split': {
      const all = Buffer.concat(list);
      const cuts = [...new Set(damage.cuts.map((c) => c % all.length))].sort((a, b) => a - b);
      return [...cuts, all.length]
        .map((end, i) => all.subarray(i === 0 ? 0 : cuts[i - 1]!, end))
        .filter((chunk) => chunk.length > 0);
    }
    case 'reorder': {
      const swapped = [...list];
      [swapped[damage.first], swapped[damage.second]] = [list[damage.second]!, list[damage.first]!];
      return [Buffer.concat(swapped)];
    }
    case 'corrupt': {
      const target = list[damage.record]!;
      const at = damage.offset % target.length;
      target[at] = target[at]! ^ damage.xor;
      return [Buffer.concat(list)];
    }
  }
}

/** What the server concluded: the data, or the class and reason of its error. */
interface Outcome {
  data: string | null;
  error: string | null;
  reason: string | null;
}

async function run(damage: Damage): Promise<Outcome> {
  const { serverCtx, clientCtx } = contextPair(pki);
  const client = clientCtx.wrapBio(new MemoryBIO(), new MemoryBIO(), {
    serverHostname: 'localhost',
  });
  const server = serverCtx.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });
  try {
    await handshake(client, server);
    // The server's tickets are of no interest here; the client's records are.
    server.outgoing.read();
    // One record per message: each write waits for the previous record (an engine may encrypt
    // on a later turn and join writes queued together, as node's does).
    let sent = Buffer.alloc(0);
    for (const [index, message] of MESSAGES.entries()) {
      client.write(Buffer.from(message));
      for (let round = 0; records(sent).length <= index; round++) {
        if (round > 100) throw new Error('the client did not send its record');
        if (client.outgoing.pending === 0) await nextEvent(client, server);
        sent = Buffer.concat([sent, client.outgoing.read()]);
      }
    }
    const chunks = damaged(sent, damage);
    let data = '';
    const drain = () => {
      for (let round = 0; round < 100; round++) {
        const chunk = server.read(4096);
        if (chunk.length === 0) return;
        data += chunk.toString('latin1');
      }
    };
    for (let round = 0, next = 0; round < 1000; round++) {
      if (next < chunks.length) server.incoming.write(chunks[next++]!);
      else if (!server.incoming.eofWritten) server.incoming.writeEof();
      try {
        drain();
        // The peer's end without close_notify, with everything read.
        if (server.incoming.eofWritten) return { data, error: null, reason: null };
      } catch (error) {
        if (!isWouldBlock(error)) {
          const reason = error instanceof SSLError ? (error.reason ?? null) : null;
          return { data: null, error: (error as Error).constructor.name, reason };
        }
        if (data === EXPECTED && next === chunks.length) return { data, error: null, reason: null };
        if (next === chunks.length && server.incoming.eofWritten) await nextEvent(server, client);
      }
    }
    throw new Error('the server neither read nor failed');
  } finally {
    client.destroy();
    server.destroy();
  }
}

test('split and merged records arrive intact; reordered and corrupted ones fail the connection', async () => {
  await fc.assert(
    fc.asyncProperty(damageArbitrary, async (damage) => {
      const outcome = await run(damage);
      if (damage.kind === 'split' || damage.kind === 'merge') return outcome.data === EXPECTED;
      return outcome.error !== null && outcome.data === null;
    }),
    fuzzParameters(60),
  );
  await noEscape.check();
});

test('on a fixed sample the server fails with the reason Python gives', async () => {
  const { seed } = fuzzParameters(0);
  const sample = fc
    .sample(damageArbitrary, { seed, numRuns: 40 })
    .filter((d) => d.kind === 'reorder' || d.kind === 'corrupt');
  const ours: [string | null, string | null][] = [];
  for (const damage of sample) {
    const outcome = await run(damage);
    ours.push([outcome.error, outcome.reason]);
  }
  const theirs = python<[string | null, string | null][]>(PYTHON_RECORDS, {
    cert: pki.path('server-combined'),
    ca: pki.path('ca'),
    messages: MESSAGES,
    sample,
  });
  assert.ok(sample.length >= 10, `only ${sample.length} damaging cases in the sample`);
  if (process.env.RXTLS_FUZZ_VERBOSE) console.log(JSON.stringify(ours));
  assert.equal(ours, theirs);
  await noEscape.check();
});

const PYTHON_RECORDS = `
import json, ssl, sys
data = json.load(sys.stdin)
def records(b):
    out, at = [], 0
    while at + 5 <= len(b):
        end = at + 5 + int.from_bytes(b[at + 3:at + 5], 'big')
        out.append(bytearray(b[at:end])); at = end
    return out
def pump(c, s, ci, co, si, so):
    done = [False, False]
    for _ in range(50):
        for i, obj in enumerate((c, s)):
            if not done[i]:
                try:
                    obj.do_handshake(); done[i] = True
                except ssl.SSLWantReadError:
                    pass
        if co.pending: si.write(co.read())
        if so.pending: ci.write(so.read())
        if all(done) and not co.pending and not so.pending: return
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); sctx.load_cert_chain(data['cert'])
cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); cctx.load_verify_locations(data['ca'])
out = []
for d in data['sample']:
    ci, co, si, so = (ssl.MemoryBIO() for _ in range(4))
    c = cctx.wrap_bio(ci, co, server_hostname='localhost')
    s = sctx.wrap_bio(si, so, server_side=True)
    pump(c, s, ci, co, si, so)
    so.read()
    for m in data['messages']: c.write(m.encode())
    recs = records(co.read())
    if d['kind'] == 'reorder':
        recs[d['first']], recs[d['second']] = recs[d['second']], recs[d['first']]
    else:
        r = recs[d['record']]; at = d['offset'] % len(r); r[at] ^= d['xor']
    si.write(b''.join(recs)); si.write_eof()
    result = [None, None]
    for _ in range(100):
        try:
            if not s.read(4096): break
        except ssl.SSLError as e:
            result = [type(e).__name__, e.reason]; break
    out.append(result)
print(json.dumps(out))
`;

test.run();
