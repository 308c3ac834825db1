/**
 * What runs on a decrypted stream, in two forms: asyncio's and Twisted's
 * `Protocol` object with lifecycle callbacks, and a function from the input stream to the output
 * stream.
 */
import type { Observable } from 'rxjs';
import type { SSLSocket } from '../transport/stream/ssl-socket.js';

/**
 * A protocol object, as asyncio's `asyncio.Protocol`: one instance per connection, told about
 * the connection's life in this order, each callback at most once except `dataReceived`:
 *
 *   connectionMade(socket)  dataReceived(data)*  [eofReceived()]  connectionLost(error?)
 *
 * `connectionMade` comes after the handshake (a connection whose handshake fails never reaches
 * the protocol). `eofReceived` comes when the peer sent close_notify; returning true keeps our
 * direction open (the protocol calls `socket.close()` when it has answered), anything else
 * closes it, as asyncio. `connectionLost` always ends a made connection, with the error that
 * ended it if one did. A callback that throws ends the connection with what it threw.
 *
 * Writing goes through the socket given to `connectionMade`: `socket.write()` returns false
 * when the peer reads slower than the protocol writes; wait for `socket.writable$` then.
 *
 * @example
 * ```ts
 * class Upper implements Protocol {
 *   #socket!: SSLSocket;
 *   connectionMade(socket: SSLSocket) { this.#socket = socket; }
 *   dataReceived(data: Uint8Array) { this.#socket.write(Buffer.from(data).toString().toUpperCase()); }
 * }
 * createServer({ context, protocol: Upper });
 * ```
 */
export interface Protocol {
  connectionMade(socket: SSLSocket): void;
  dataReceived(data: Uint8Array): void;
  /** The peer ended its direction; return true to keep ours open (TLS half-close). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a method that returns nothing is void
  eofReceived?(): boolean | void;
  connectionLost?(error?: Error): void;
}

/**
 * The function form: the decrypted input as an Observable (one subscriber; `share()` it to use
 * it twice), and the socket for its details. What it returns is written back with backpressure
 * (input pauses while the peer reads slower than the output comes); its completion closes the
 * stream gracefully and its error ends the connection with that error. A function that returns
 * nothing writes by itself through `socket`.
 *
 * @example
 * ```ts
 * const echo: ProtocolFunction = (input$) => input$;
 * const shout: ProtocolFunction = (input$) => input$.pipe(lines({ maxLength: 1024 }), map((l) => `${l.toUpperCase()}\n`));
 * ```
 */
export type ProtocolFunction = (
  input$: Observable<Uint8Array>,
  socket: SSLSocket,
) => ProtocolOutput;

/** What a function protocol returns: its output, or nothing when it writes by itself. */
// biome-ignore lint/suspicious/noConfusingVoidType: a function that returns nothing returns void
export type ProtocolOutput = Observable<Uint8Array | string> | void;

/** A Protocol class, constructed per connection (resolved from a DI container so it can inject). */
// biome-ignore lint/suspicious/noExplicitAny: constructors with any injected parameters
export type ProtocolClass = new (...args: any[]) => Protocol;

/** What servers and {@link runProtocol} accept: a function or a Protocol class. */
export type ProtocolSpec = ProtocolFunction | ProtocolClass;

/**
 * Whether `spec` is a class (constructed per connection) rather than a function form. Native
 * `class` syntax is what tells them apart: both are functions to `typeof`.
 */
export function isProtocolClass(spec: ProtocolSpec): spec is ProtocolClass {
  return /^class[\s{]/.test(Function.prototype.toString.call(spec));
}
