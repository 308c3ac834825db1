/**
 * The slow-reader soak: an rxtls client pushes `total` bytes through TCP on 127.0.0.1 to an
 * rxtls server whose reader pauses after every chunk and resumes on the next turn of the event
 * loop (a consumer doing a little work per chunk), while the heap plus array buffers are sampled
 * at every chunk. Used by test/transport/stream/tcp-flow.test.ts.
 */
import { createHash } from 'node:crypto';
import type { SSLContext } from '../../src/context/ssl-context.js';
import { connect } from '../../src/endpoints/connect.js';
import { createServer } from '../../src/endpoints/server.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import { ByteSource, pump } from './streams.js';

/** What one soak measured. */
export interface SoakResult {
  bytes: number;
  sentSha256: string;
  receivedSha256: string;
  /** The highest heapUsed + arrayBuffers seen during the transfer, in bytes. */
  peakMemory: number;
  /** heapUsed + arrayBuffers before the transfer. */
  baseMemory: number;
  elapsedMs: number;
}

const memoryNow = (): number => {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

/** Runs the soak with the given contexts (the client's must trust the server's certificate). */
export async function slowReaderSoak(
  total: number,
  serverCtx: SSLContext,
  clientCtx: SSLContext,
): Promise<SoakResult> {
  const reactor = new Reactor();
  const hash = createHash('sha256');
  let received = 0;
  let peak = 0;
  let done!: (digest: string) => void;
  let failed!: (error: unknown) => void;
  const receivedDigest = new Promise<string>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const server = createServer({ context: serverCtx, reactor }, (socket) => {
    socket.data$.subscribe({
      next: (chunk) => {
        hash.update(chunk);
        received += chunk.length;
        peak = Math.max(peak, memoryNow());
        // The slow part: no more data until the next turn of the event loop.
        socket.pause();
        setImmediate(() => socket.resume());
      },
      complete: () => {
        done(hash.digest('hex'));
        void socket.close();
      },
      error: failed,
    });
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const started = Date.now();
  try {
    const client = await connect({ host: 'localhost', port, context: clientCtx, reactor });
    const baseMemory = memoryNow();
    const source = new ByteSource(total);
    await pump(source, client);
    await client.close();
    const receivedSha256 = await receivedDigest;
    return {
      bytes: received,
      sentSha256: source.digest(),
      receivedSha256,
      peakMemory: peak,
      baseMemory,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await server.close({ timeoutMs: 2_000 });
  }
}
