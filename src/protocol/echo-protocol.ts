/**
 * Echo, the "hello world" of protocols, in both forms: a Protocol class with backpressure of its
 * own, and the function `echo` (which is just `input$ => input$`).
 */
import type { Observable, Subscription } from 'rxjs';
import type { SSLSocket } from '../transport/stream/ssl-socket.js';
import type { Protocol } from './protocol.js';

/**
 * Sends back whatever it receives. When the peer reads slower than it writes, it stops reading
 * until the socket has drained, so a fast sender cannot make it buffer without bound.
 *
 * @example
 * ```ts
 * const server = createServer({ context, protocol: EchoProtocol });
 * await server.listen(8443);
 * ```
 */
export class EchoProtocol implements Protocol {
  #socket: SSLSocket | undefined;
  #drain: Subscription | undefined;

  connectionMade(socket: SSLSocket): void {
    this.#socket = socket;
    this.#drain = socket.writable$.subscribe(() => socket.resume());
  }

  dataReceived(data: Uint8Array): void {
    const socket = this.#socket as SSLSocket;
    if (!socket.write(data)) socket.pause();
  }

  /** The peer is done: close after what is still queued (asyncio's default answer). */
  eofReceived(): boolean {
    return false;
  }

  connectionLost(): void {
    this.#drain?.unsubscribe();
  }
}

/** The function form of echo: the input is the output. */
export function echo(input$: Observable<Uint8Array>): Observable<Uint8Array> {
  return input$;
}
