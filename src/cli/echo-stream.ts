/**
 * The echo service of `rxtls serve --echo` and the demo, written on the stream API: every chunk
 * goes back as it came, reading pauses while the peer is slow to take the echo, and the peer's
 * close_notify is answered with ours.
 */
import type { SSLSocket } from '../transport/stream/ssl-socket.js';

/** Echoes `socket` until the peer closes; errors (a failed handshake) just end it. */
export function echoStream(socket: SSLSocket<unknown>): void {
  socket.data$.subscribe({
    next: (chunk) => {
      if (!socket.write(chunk)) socket.pause();
    },
    complete: () => void socket.close().catch(() => undefined),
    error: () => undefined,
  });
  socket.writable$.subscribe(() => socket.resume());
}
