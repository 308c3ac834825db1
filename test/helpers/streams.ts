/**
 * Helpers for secure-stream tests over real sockets: an echo handler with backpressure both ways,
 * writers that honour write()'s false and writable$, incremental sha256 of what arrives, and a
 * deterministic byte source that never holds a whole payload in memory.
 */
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import type { SSLContext } from '../../src/context/ssl-context.js';
import { connect } from '../../src/endpoints/connect.js';
import { createServer } from '../../src/endpoints/server.js';
import { memoryPipe } from '../../src/transport/memory-pipe.js';
import type { Reactor } from '../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import type { SSLSocketOptions } from '../../src/transport/stream/stream-options.js';
import type { Transport } from '../../src/transport/transport.js';

/** sha256 of bytes, hex. */
export const sha256 = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/** Echoes everything back; pauses reading while its writes are backed up; closes at the end. */
export function echo(socket: SSLSocket<unknown>): void {
  socket.data$.subscribe({
    next: (chunk) => {
      if (!socket.write(chunk)) socket.pause();
    },
    complete: () => void socket.close(),
    error: () => undefined,
  });
  socket.writable$.subscribe(() => socket.resume());
}

/** Writes `payload` in random splits (1 .. maxSplit bytes), waiting on writable$ when told. */
export async function writeSplit(
  stream: Transport,
  payload: Uint8Array,
  maxSplit = 100_000,
): Promise<void> {
  let offset = 0;
  while (offset < payload.length) {
    const size = Math.min(payload.length - offset, 1 + Math.floor(Math.random() * maxSplit));
    const ok = stream.write(payload.subarray(offset, offset + size));
    offset += size;
    if (!ok) await firstValueFrom(stream.writable$);
  }
}

/** What a reader saw: the byte count and the sha256 of the bytes, computed as they arrived. */
export interface Digest {
  bytes: number;
  sha256: string;
}

/** Hashes data$ incrementally until it completes (rejects if it errors). */
export function digestOf(stream: Transport): Promise<Digest> {
  const hash = createHash('sha256');
  let bytes = 0;
  const digest = new Promise<Digest>((resolve, reject) => {
    stream.data$.subscribe({
      next: (chunk) => {
        hash.update(chunk);
        bytes += chunk.length;
      },
      complete: () => resolve({ bytes, sha256: hash.digest('hex') }),
      error: reject,
    });
  });
  // A test that fails before awaiting it must not crash the run with an unhandled rejection.
  digest.catch(() => undefined);
  return digest;
}

/**
 * A deterministic stream of `total` bytes in `chunkSize` chunks, drawn from a small random pool
 * at shifting offsets, so gigabytes can be produced (and hashed) without holding them.
 */
export class ByteSource {
  readonly total: number;
  readonly #chunkSize: number;
  readonly #pool: Buffer;
  readonly #hash: Hash = createHash('sha256');
  #produced = 0;
  #turn = 0;

  constructor(total: number, chunkSize = 64 * 1024) {
    this.total = total;
    this.#chunkSize = chunkSize;
    this.#pool = randomBytes(chunkSize * 2 + 7919);
  }

  /** The next chunk (empty once `total` bytes were produced); hashed as it goes out. */
  next(): Buffer {
    const size = Math.min(this.#chunkSize, this.total - this.#produced);
    if (size <= 0) return Buffer.alloc(0);
    const start = (this.#turn * 7919) % (this.#pool.length - this.#chunkSize);
    this.#turn += 1;
    const chunk = this.#pool.subarray(start, start + size);
    this.#produced += size;
    this.#hash.update(chunk);
    return chunk;
  }

  /** The sha256 of everything produced; call once, after the last chunk. */
  digest(): string {
    return this.#hash.digest('hex');
  }
}

/** Writes the whole source to `stream`, honouring backpressure. */
export async function pump(source: ByteSource, stream: Transport): Promise<void> {
  for (let chunk = source.next(); chunk.length > 0; chunk = source.next()) {
    if (!stream.write(chunk)) await firstValueFrom(stream.writable$);
  }
}

/**
 * A client and a server secure stream over a memory pipe (client verifying `localhost`), both
 * handshaken; `options` adds stream options on either side.
 */
export async function streamPair(
  contexts: { serverCtx: SSLContext; clientCtx: SSLContext },
  reactor: Reactor,
  options: { client?: SSLSocketOptions; server?: SSLSocketOptions } = {},
): Promise<{ client: SSLSocket<SSLContext>; server: SSLSocket<SSLContext> }> {
  const [a, b] = memoryPipe();
  const client = contexts.clientCtx.wrapSocket(a, {
    serverHostname: 'localhost',
    reactor,
    ...options.client,
  });
  const server = contexts.serverCtx.wrapSocket(b, { serverSide: true, reactor, ...options.server });
  await Promise.all([client.handshake(), server.handshake()]);
  return { client, server };
}

/** Writes `text` and resolves to the first chunk that comes back, as text. */
export async function echoOnce<C>(socket: SSLSocket<C>, text: string): Promise<string> {
  const back = firstValueFrom(socket.data$);
  socket.write(Buffer.from(text));
  return Buffer.from(await back).toString();
}

/** What {@link echoOverTcp} sent and got back. */
export interface TcpEcho {
  payload: Buffer;
  echoed: Digest;
  /** Streams the reactor still held once the server had closed. */
  connectionsLeft: number;
}

/**
 * Writes `size` random bytes, in splits of up to `maxSplit`, to a server on 127.0.0.1 whose
 * connections `onSocket` handles (an echo), and reads back what it sends until its close; then
 * closes the server.
 */
export async function echoOverTcp(
  contexts: { serverCtx: SSLContext; clientCtx: SSLContext },
  reactor: Reactor,
  onSocket: (socket: SSLSocket<unknown>) => void,
  size: number,
  maxSplit: number,
  serverOptions: { borrowedReads?: boolean } = {},
): Promise<TcpEcho> {
  const server = createServer(
    { context: contexts.serverCtx, reactor, ...serverOptions },
    (socket) => onSocket(socket as SSLSocket<unknown>),
  );
  const { port } = await server.listen(0, '127.0.0.1');
  const client = await connect({ host: 'localhost', port, context: contexts.clientCtx, reactor });
  const payload = randomBytes(size);
  const digest = digestOf(client);
  await writeSplit(client, payload, maxSplit);
  await client.close();
  const echoed = await digest;
  await server.close({ timeoutMs: 5_000 });
  return { payload, echoed, connectionsLeft: reactor.stats().connections };
}
