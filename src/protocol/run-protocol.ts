/**
 * bindProtocol: binds a protocol to a secure stream once its handshake is done. The class form
 * follows asyncio's sslproto app-protocol lifecycle; the function form writes its output back
 * with backpressure.
 *
 * The lifecycle of a Protocol object (asyncio's AppProtocolState), changed only by #transition:
 *
 *   INIT --connectionMade--> CON_MADE --eofReceived--> EOF --connectionLost--> CON_LOST
 *                              |  ^                                             ^
 *                              +--+ dataReceived*                               |
 *                              +-------------------- connectionLost ----------+
 *
 * A connection whose handshake fails stays in INIT: the protocol is never told about it.
 */
import type { Subscription } from 'rxjs';
import { lentData$ } from '../transport/stream/lent-data.js';
import type { SSLSocket } from '../transport/stream/ssl-socket.js';
import {
  isProtocolClass,
  type Protocol,
  type ProtocolClass,
  type ProtocolFunction,
  type ProtocolSpec,
} from './protocol.js';

/** The lifecycle states of a Protocol object, named as asyncio's. */
export type ProtocolState = 'INIT' | 'CON_MADE' | 'EOF' | 'CON_LOST';

const TRANSITIONS: Record<ProtocolState, readonly ProtocolState[]> = {
  INIT: ['CON_MADE', 'CON_LOST'],
  CON_MADE: ['EOF', 'CON_LOST'],
  EOF: ['CON_LOST'],
  CON_LOST: [],
};

/** A running protocol. */
export interface ProtocolRun {
  /** The Protocol object of the class form, once constructed (undefined for functions). */
  readonly protocol: Protocol | undefined;
  /** Resolves when the connection has closed, whatever ended it; never rejects. */
  readonly done: Promise<void>;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Makes the object of a Protocol class for one connection: a dependency-injection container's
 * `resolve` where the class injects its dependencies (runProtocol's default), or `new`.
 */
export type ProtocolResolver = (protocolClass: ProtocolClass) => Protocol;

/**
 * Runs `spec` on `socket`: a Protocol class is made by `resolve` (called only for a class) and
 * driven through its lifecycle; a function gets the decrypted input and its output is written
 * back. The composition layer's runProtocol resolves classes from a container.
 */
export function bindProtocol(
  socket: SSLSocket,
  spec: ProtocolSpec,
  resolve: ProtocolResolver,
): ProtocolRun {
  if (isProtocolClass(spec)) {
    let protocol: Protocol;
    try {
      protocol = resolve(spec);
    } catch (error) {
      socket.destroy(asError(error));
      return { protocol: undefined, done: closedOf(socket) };
    }
    const binding = new ProtocolBinding(socket, protocol);
    return { protocol, done: binding.done };
  }
  return { protocol: undefined, done: runFunction(socket, spec) };
}

/** Read through a call, so narrowing does not assume a write left the state unchanged. */
function isOpen(socket: SSLSocket): boolean {
  return socket.state !== 'closed';
}

function closedOf(socket: SSLSocket): Promise<void> {
  return new Promise((resolve) => socket.closed$.subscribe({ complete: resolve }));
}

/** Drives one Protocol object through its lifecycle over one socket. */
class ProtocolBinding {
  readonly #socket: SSLSocket;
  readonly #protocol: Protocol;
  #state: ProtocolState = 'INIT';
  #input: Subscription | undefined;
  readonly done: Promise<void>;

  constructor(socket: SSLSocket, protocol: Protocol) {
    this.#socket = socket;
    this.#protocol = protocol;
    // The protocol decides what the peer's end means (eofReceived), not the stream.
    socket.closeOnPeerEnd = false;
    this.done = closedOf(socket);
    socket.closed$.subscribe(() => this.#onConnectionLost());
    socket.handshake().then(
      () => this.#onConnectionMade(),
      () => undefined, // the stream reports it on closed$: the protocol never saw the connection
    );
  }

  #transition(next: ProtocolState): void {
    if (!TRANSITIONS[this.#state].includes(next)) {
      throw new Error(`Protocol: cannot switch state from ${this.#state} to ${next}`);
    }
    this.#state = next;
  }

  /** Runs a callback of the protocol; what it throws ends the connection with that error. */
  #call(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#socket.destroy(asError(error));
    }
  }

  #onConnectionMade(): void {
    if (this.#state !== 'INIT' || this.#socket.state === 'closed') return;
    this.#transition('CON_MADE');
    this.#call(() => this.#protocol.connectionMade(this.#socket));
    // connectionMade may have ended the connection (by throwing or closing it).
    if (this.state !== 'CON_MADE') return;
    this.#input = this.#socket.data$.subscribe({
      next: (data) => this.#onDataReceived(data),
      complete: () => this.#onEofReceived(),
      error: () => undefined, // closed$ follows with the error
    });
  }

  #onDataReceived(data: Uint8Array): void {
    if (this.#state !== 'CON_MADE') return;
    this.#call(() => this.#protocol.dataReceived(data));
  }

  #onEofReceived(): void {
    // The end of our own close is not the peer's EOF (asyncio calls eof_received only while
    // the stream is wrapped or flushing).
    const state = this.#socket.state;
    if (this.#state !== 'CON_MADE' || (state !== 'open' && state !== 'flushing')) return;
    this.#transition('EOF');
    let keepOpen: unknown = false;
    this.#call(() => {
      keepOpen = this.#protocol.eofReceived?.();
    });
    if (keepOpen !== true) void this.#socket.close();
  }

  #onConnectionLost(): void {
    if (this.#state === 'CON_LOST') return;
    const made = this.#state !== 'INIT';
    this.#transition('CON_LOST');
    this.#input?.unsubscribe();
    if (!made) return;
    const error = this.#socket.error;
    try {
      this.#protocol.connectionLost?.(error);
    } catch (thrown) {
      // Nothing is left to end, and one connection's code must not end the process
      // (docs/architecture.md, Containment): a warning says what happened.
      process.emitWarning(
        `Protocol.connectionLost threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
        { type: 'ProtocolError', detail: thrown instanceof Error ? thrown.stack : undefined },
      );
    }
  }

  /** Where the protocol is in its lifecycle. */
  get state(): ProtocolState {
    return this.#state;
  }
}

/**
 * The function form: input is the socket's data$; output is written back, pausing the input
 * while the socket is above its high-water mark, so a protocol whose output outruns the peer
 * slows its own input and nothing piles up.
 */
function runFunction(socket: SSLSocket, fn: ProtocolFunction): Promise<void> {
  const done = closedOf(socket);
  socket.handshake().then(
    () => startFunction(socket, fn),
    () => undefined,
  );
  return done;
}

function startFunction(socket: SSLSocket, fn: ProtocolFunction): void {
  if (socket.state === 'closed') return;
  let output$: ReturnType<ProtocolFunction>;
  try {
    // Until the output completes, the peer's end does not close our direction.
    socket.closeOnPeerEnd = false;
    output$ = fn(socket.data$, socket);
  } catch (error) {
    socket.destroy(asError(error));
    return;
  }
  // The input returned as it is (echo): each chunk goes straight to write(), which encrypts it or
  // queues a copy, so its chunks may be lent (docs/architecture.md, "Lent reads").
  if (output$ === socket.data$) output$ = lentData$(socket);
  if (!output$) {
    // The function writes by itself: the stream closes after the peer's end, as by default.
    socket.closeOnPeerEnd = true;
    return;
  }
  let pausedByUs = false;
  const subscriptions: Subscription[] = [];
  const stop = () => {
    for (const subscription of subscriptions) subscription.unsubscribe();
  };
  subscriptions.push(
    socket.writable$.subscribe(() => {
      if (!pausedByUs) return;
      pausedByUs = false;
      socket.resume();
    }),
    socket.closed$.subscribe(() => stop()),
  );
  subscriptions.push(
    output$.subscribe({
      next: (chunk) => {
        if (socket.state === 'closed') return;
        let ok: boolean;
        try {
          ok = socket.write(chunk);
        } catch (error) {
          socket.destroy(asError(error));
          return;
        }
        if (!ok && !pausedByUs && isOpen(socket)) {
          pausedByUs = true;
          socket.pause();
        }
      },
      error: (error: unknown) => socket.destroy(asError(error)),
      complete: () => {
        if (socket.state !== 'closed') void socket.close();
      },
    }),
  );
}
