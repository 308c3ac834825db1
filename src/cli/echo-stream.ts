/**
 * The echo service of `rxtls serve --echo` and the demo, written on the stream API: every chunk
 * goes back as it came, reading pauses while the peer is slow to take the echo, and the peer's
 * close_notify is answered with ours.
 */
import { take } from 'rxjs';
import { lentData$ } from '../transport/stream/lent-data.js';
import type { SSLSocket } from '../transport/stream/ssl-socket.js';

/**
 * Echoes `socket` until the peer closes; errors (a failed handshake) just end it. Each chunk goes
 * straight to write(), which encrypts it or queues a copy: it may be lent (docs/architecture.md,
 * "Lent reads"). writable$ is heard only while the peer is behind: an idle connection keeps one
 * subscription, not two (docs/architecture.md, "Memory per idle connection").
 */
export function echoStream(socket: SSLSocket<unknown>): void {
  let waiting = false;
  const resume = (): void => {
    waiting = false;
    socket.resume();
  };
  lentData$(socket).subscribe({
    next: (chunk) => {
      if (socket.write(chunk) || waiting) return;
      waiting = true;
      socket.pause();
      socket.writable$.pipe(take(1)).subscribe(resume);
    },
    complete: () => void socket.close().catch(() => undefined),
    error: () => undefined,
  });
}
