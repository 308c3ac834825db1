import { from, lastValueFrom, map, Subject, toArray } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeLengthPrefixed, lengthPrefixed, lines } from '../../src/protocol/framing.js';
import { runProtocol } from '../../src/endpoints/run-protocol.js';
import { FrameTooLongError, ValueError } from '../../src/errors/errors.js';
import { memoryPipe } from '../../src/transport/memory-pipe.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import { throwsA, rejectionOf } from '../helpers/assert-error.js';
import { useContextPair } from '../helpers/pki.js';

/** mulberry32: a small seeded PRNG, so every random case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts `bytes` into random pieces: empty ones, single bytes, and large ones. */
function chunkRandomly(bytes: Buffer, rand: () => number): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const r = rand();
    const size = r < 0.1 ? 0 : r < 0.4 ? 1 : Math.floor(rand() * Math.min(64, bytes.length) + 1);
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  if (rand() < 0.5) chunks.push(Buffer.alloc(0));
  return chunks;
}

const SEEDS = 200;

test('lines() gives the same lines for any chunking of the same bytes (200 seeded cases)', async () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const rand = prng(seed);
    const count = Math.floor(rand() * 20);
    const expected: string[] = [];
    let text = '';
    for (let i = 0; i < count; i++) {
      const length = Math.floor(rand() * 40);
      let line = '';
      for (let j = 0; j < length; j++)
        line += rand() < 0.1 ? 'é' : String.fromCharCode(97 + Math.floor(rand() * 26));
      expected.push(line);
      text += line + (rand() < 0.5 ? '\r\n' : '\n');
    }
    const chunks = chunkRandomly(Buffer.from(text), rand);
    const got = await lastValueFrom(from(chunks).pipe(lines({ maxLength: 80 }), toArray()));
    assert.equal(got, expected, `seed ${seed}`);
  }
});

test('lines() emits a last line without its newline, and bytes when encoding is null', async () => {
  const got = await lastValueFrom(
    from([Buffer.from('a\r\nb\nlast')]).pipe(lines({ maxLength: 10 }), toArray()),
  );
  assert.equal(got, ['a', 'b', 'last']);
  const bytes = await lastValueFrom(
    from([Buffer.from('x\ny')]).pipe(lines({ maxLength: 10, encoding: null }), toArray()),
  );
  assert.equal(
    bytes.map((b) => Buffer.isBuffer(b) && b.toString()),
    ['x', 'y'],
  );
  const latin = await lastValueFrom(
    from([Buffer.from([0xe9, 0x0a])]).pipe(lines({ maxLength: 10, encoding: 'latin1' }), toArray()),
  );
  assert.equal(latin, ['é']);
});

test('lines() errors with FrameTooLongError as soon as a line is certain to be too long', async () => {
  const input = new Subject<Uint8Array>();
  const result = lastValueFrom(input.pipe(lines({ maxLength: 8 }), toArray()));
  input.next(Buffer.from('12345678\r')); // 9 bytes: still fine if \n follows
  input.next(Buffer.from('9')); // 10 bytes without a newline: too long, whatever follows
  const error = await rejectionOf(result);
  assert.ok(error instanceof FrameTooLongError);
  assert.is((error as FrameTooLongError).code, 'ERR_RXTLS_FRAME_TOO_LONG');
  assert.is((error as FrameTooLongError).maxLength, 8);
  assert.not.ok(input.observed, 'the source was let go');

  const exact = await lastValueFrom(
    from([Buffer.from('12345678\r\n')]).pipe(lines({ maxLength: 8 }), toArray()),
  );
  assert.equal(exact, ['12345678']);
  for (const text of ['123456789\n', '123456789']) {
    const e = await rejectionOf(
      lastValueFrom(from([Buffer.from(text)]).pipe(lines({ maxLength: 8 }))),
    );
    assert.ok(e instanceof FrameTooLongError, text);
  }
});

test('lengthPrefixed() gives the same frames for any chunking, with 1, 2 and 4 byte headers (200 seeded cases)', async () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const rand = prng(seed * 7919);
    const headerBytes = ([1, 2, 4] as const)[seed % 3] ?? 4;
    const frames: Buffer[] = [];
    for (let i = Math.floor(rand() * 12); i > 0; i--) {
      const frame = Buffer.alloc(Math.floor(rand() * 300) % (headerBytes === 1 ? 256 : 300));
      for (let j = 0; j < frame.length; j++) frame[j] = Math.floor(rand() * 256);
      frames.push(frame);
    }
    const wire = Buffer.concat(frames.map((f) => encodeLengthPrefixed(f, headerBytes)));
    const chunks = chunkRandomly(wire, rand);
    const got = await lastValueFrom(
      from(chunks).pipe(lengthPrefixed({ headerBytes, maxLength: 300 }), toArray()),
    );
    assert.equal(
      got.map((b) => b.toString('hex')),
      frames.map((b) => b.toString('hex')),
      `seed ${seed}`,
    );
  }
});

test('lengthPrefixed() refuses an oversized header before holding any payload, and a cut frame', async () => {
  const input = new Subject<Uint8Array>();
  const result = lastValueFrom(input.pipe(lengthPrefixed({ headerBytes: 4, maxLength: 1024 })));
  input.next(Buffer.from([0x7f, 0xff])); // half a header announcing ~2 GiB
  input.next(Buffer.from([0xff, 0xff]));
  const error = await rejectionOf(result);
  assert.ok(error instanceof FrameTooLongError);
  assert.is((error as FrameTooLongError).length, 0x7fffffff);
  assert.not.ok(input.observed);

  const cut = await rejectionOf(
    lastValueFrom(
      from([Buffer.from([0, 5, 1, 2])]).pipe(lengthPrefixed({ headerBytes: 2, maxLength: 10 })),
    ),
  );
  assert.ok(cut instanceof ValueError);
  assert.match((cut as Error).message, /2 of 5 payload bytes/);
  const cutHeader = await rejectionOf(
    lastValueFrom(from([Buffer.from([0])]).pipe(lengthPrefixed({ maxLength: 10 }))),
  );
  assert.match((cutHeader as Error).message, /1 of 4 header bytes/);
});

test('framing options and encodeLengthPrefixed check their arguments', () => {
  throwsA(() => lines({ maxLength: -1 }), ValueError);
  throwsA(() => lines({ maxLength: '5' as unknown as number }), TypeError);
  throwsA(() => lengthPrefixed({ maxLength: 5, headerBytes: 3 as 1 }), ValueError);
  throwsA(() => encodeLengthPrefixed(Buffer.alloc(256), 1), ValueError);
  assert.equal([...encodeLengthPrefixed('hi', 2)], [0, 2, 104, 105]);
  assert.equal([...encodeLengthPrefixed(new Uint8Array([7]), 1)], [1, 7]);
});

const contexts = useContextPair(test);

test('an oversized frame ends a connection running a framed protocol with FrameTooLongError', async () => {
  const { serverCtx, clientCtx } = contexts;
  const reactor = new Reactor();
  const [a, b] = memoryPipe();
  const client = clientCtx.wrapSocket(a, { serverHostname: 'localhost', reactor });
  const server = serverCtx.wrapSocket(b, { serverSide: true, reactor });
  const run = runProtocol(server, (input$) =>
    input$.pipe(
      lines({ maxLength: 16 }),
      map((line) => `${line.length}\n`),
    ),
  );
  await client.handshake();
  const answers = lastValueFrom(client.data$.pipe(toArray())).catch(() => []);
  client.write('short\n');
  client.write('x'.repeat(1000));
  await run.done;
  assert.ok(server.error instanceof FrameTooLongError);
  assert.is(Buffer.concat(await answers).toString(), '5\n');
  client.abort();
});

test.run();
