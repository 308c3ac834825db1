/**
 * `toNodeDuplex`: a secure stream as a Node `stream.Duplex`, so Node's `http` server, undici
 * connectors and `ws` run over rxtls unchanged (`httpServer.emit('connection', duplex)`).
 */
import { Duplex } from 'node:stream';
import { firstValueFrom, type Subscription } from 'rxjs';
import type { SSLSocket } from '../transport/stream/ssl-socket.js';

/** Wraps `socket` in a Duplex with backpressure both ways. */
export function toNodeDuplex(socket: SSLSocket<unknown>): Duplex {
  let subscription: Subscription | undefined;
  const duplex = new Duplex({
    allowHalfOpen: true,
    read() {
      socket.resume();
      subscription ??= socket.data$.subscribe({
        next: (bytes) => {
          if (!duplex.push(bytes)) socket.pause();
        },
        complete: () => duplex.push(null),
        error: (error: unknown) => duplex.destroy(error as Error),
      });
    },
    write(chunk: Buffer, _encoding, callback) {
      let ok: boolean;
      try {
        ok = socket.write(chunk);
      } catch (error) {
        callback(error as Error);
        return;
      }
      if (ok) callback();
      else firstValueFrom(socket.writable$).then(() => callback(), callback);
    },
    final(callback) {
      socket.close().then(() => callback(), callback);
    },
    destroy(error, callback) {
      subscription?.unsubscribe();
      if (error) socket.destroy(error);
      else socket.abort();
      callback(null);
    },
  });
  // Node's http server reads these as a socket's properties.
  const remote = socket.remoteAddress;
  Object.assign(duplex, {
    remoteAddress: remote?.address,
    remotePort: remote?.port,
    encrypted: true,
    setTimeout: () => duplex,
    setNoDelay: () => duplex,
    setKeepAlive: () => duplex,
  });
  return duplex;
}
