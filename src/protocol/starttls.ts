/**
 * STARTTLS: a plaintext line conversation (SMTP, IMAP, POP3, XMPP's cousins), then TLS on the
 * same connection. `negotiateStartTls` is the client's side, `acceptStartTls` the server's; both
 * refuse plaintext pipelined behind the upgrade (the command injection of CVE-2011-0411), since
 * nothing may be sent between the last plaintext line and the TLS handshake.
 */
import type { Subscription } from 'rxjs';
import type { SSLContext, WrapSocketOptions } from '../context/ssl-context.js';
import { StartTlsError } from '../errors/errors.js';
import { PrefixedTransport } from '../transport/prefixed-transport.js';
import type { SSLSocket } from '../transport/stream/ssl-socket.js';
import type { Transport } from '../transport/transport.js';

const LF = 0x0a;
/** RFC 5321 4.5.3.1.4-5: SMTP command and reply lines are at most 512 octets with CRLF. */
export const DEFAULT_MAX_LINE_LENGTH = 512;

/**
 * The plaintext half of a STARTTLS connection: lines in and out, one reader at a time, and the
 * transport read only while a line is awaited (the TLS layer takes over the rest).
 */
export class PlaintextConversation {
  readonly #transport: Transport;
  readonly #maxLineLength: number;
  #buffer: Buffer = Buffer.alloc(0);

  constructor(transport: Transport, options: { maxLineLength?: number } = {}) {
    this.#transport = transport;
    this.#maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  }

  /** Sends `line` followed by CRLF. */
  writeLine(line: string): void {
    this.#transport.write(Buffer.from(`${line}\r\n`));
  }

  /** The next line without its line end; StartTlsError if the peer closes or it is too long. */
  readLine(): Promise<string> {
    const ready = this.#takeLine();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      // A transport may deliver during subscribe() itself: settle, then let go once it returned.
      let settled = false;
      let subscription: Subscription | undefined;
      const settle = (action: () => void) => {
        if (settled) return;
        settled = true;
        subscription?.unsubscribe();
        action();
      };
      subscription = this.#transport.data$.subscribe({
        next: (chunk) => {
          this.#buffer = Buffer.concat([this.#buffer, chunk]);
          try {
            const line = this.#takeLine();
            if (line !== undefined) settle(() => resolve(line));
          } catch (error) {
            settle(() => reject(error));
          }
        },
        error: (error: unknown) =>
          settle(() =>
            reject(new StartTlsError('the connection failed before STARTTLS', { cause: error })),
          ),
        complete: () =>
          settle(() => reject(new StartTlsError('the peer closed the connection before STARTTLS'))),
      });
      if (settled) subscription.unsubscribe();
    });
  }

  #takeLine(): string | undefined {
    const lf = this.#buffer.indexOf(LF);
    if (lf < 0) {
      if (this.#buffer.length > this.#maxLineLength) {
        throw new StartTlsError(`a plaintext line exceeds ${this.#maxLineLength} bytes`);
      }
      return undefined;
    }
    if (lf + 1 > this.#maxLineLength) {
      throw new StartTlsError(`a plaintext line exceeds ${this.#maxLineLength} bytes`);
    }
    const line = this.#buffer.subarray(0, lf).toString('utf8').replace(/\r$/, '');
    this.#buffer = this.#buffer.subarray(lf + 1);
    return line;
  }

  /**
   * Ends the plaintext phase without TLS: the transport, with any bytes already read past the
   * last line delivered first (a CONNECT tunnel hands the rest of the stream on this way).
   */
  release(): Transport {
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return new PrefixedTransport(rest, this.#transport);
  }

  /**
   * Hands the transport to TLS and runs the handshake. Refuses (closing the transport) if the
   * peer sent anything after the line that agreed on the upgrade.
   */
  async upgrade(
    context: SSLContext,
    options: WrapSocketOptions = {},
  ): Promise<SSLSocket<SSLContext>> {
    if (this.#buffer.length > 0) {
      this.#transport.destroy();
      throw new StartTlsError(
        `the peer sent ${this.#buffer.length} plaintext bytes after the STARTTLS exchange: refusing them`,
      );
    }
    const socket = context.wrapSocket(this.#transport, options);
    await socket.handshake();
    return socket;
  }
}

/** Options of {@link negotiateStartTls}. */
export interface NegotiateStartTlsOptions extends Omit<WrapSocketOptions, 'serverSide'> {
  /** The upgrade command; default `STARTTLS`. */
  command?: string;
  /** Read the server's greeting line before anything else (default true, as SMTP). */
  expectGreeting?: boolean;
  /** Lines to send (each answered by one reply line) before the command, e.g. `EHLO me`. */
  before?: readonly string[];
  /** Whether the reply to the command agrees; default: a 2xx reply code (SMTP's `220`). */
  isReady?: (reply: string) => boolean;
  maxLineLength?: number;
}

const positiveReply = (reply: string) => /^2\d\d(?:[ -]|$)/.test(reply);

/**
 * The client's STARTTLS: reads the greeting, sends `before` lines and then the command, and
 * starts TLS once the server agrees. StartTlsError carries the reply if it does not.
 *
 * @example
 * ```ts
 * const tls = await negotiateStartTls(await TcpTransport.connect({ host, port: 587 }), ctx, {
 *   serverHostname: host, before: ['EHLO client.example'],
 * });
 * ```
 */
export async function negotiateStartTls(
  transport: Transport,
  context: SSLContext,
  options: NegotiateStartTlsOptions = {},
): Promise<SSLSocket<SSLContext>> {
  const {
    command = 'STARTTLS',
    expectGreeting = true,
    before = [],
    isReady = positiveReply,
    maxLineLength,
    ...tls
  } = options;
  const talk = new PlaintextConversation(transport, maxLineLength ? { maxLineLength } : {});
  if (expectGreeting) await talk.readLine();
  for (const line of before) {
    talk.writeLine(line);
    await talk.readLine();
  }
  talk.writeLine(command);
  const reply = await talk.readLine();
  if (!isReady(reply)) {
    transport.destroy();
    throw new StartTlsError(`the server refused ${command}: ${reply}`, { reply });
  }
  return talk.upgrade(context, tls);
}

/** Options of {@link acceptStartTls}. */
export interface AcceptStartTlsOptions
  extends Omit<WrapSocketOptions, 'serverSide' | 'serverHostname'> {
  /** The first line the server sends; null sends none. Default `220 rxtls ready`. */
  greeting?: string | null;
  /** The upgrade command (compared case-insensitively); default `STARTTLS`. */
  command?: string;
  /** The reply that agrees to the upgrade; default `220 Ready to start TLS`. */
  readyReply?: string;
  /** Answers any other line; default `530 Must issue a STARTTLS command first`. */
  answer?: (line: string) => string;
  maxLineLength?: number;
}

/**
 * The server's STARTTLS: greets, answers lines until the client sends the command, agrees, and
 * runs the server handshake.
 *
 * @example
 * ```ts
 * net.createServer(async (tcp) => {
 *   const tls = await acceptStartTls(new TcpTransport(tcp), serverCtx, {
 *     answer: (line) => (/^EHLO/i.test(line) ? '250 STARTTLS' : '500 unrecognized'),
 *   });
 * });
 * ```
 */
export async function acceptStartTls(
  transport: Transport,
  context: SSLContext,
  options: AcceptStartTlsOptions = {},
): Promise<SSLSocket<SSLContext>> {
  const {
    greeting = '220 rxtls ready',
    command = 'STARTTLS',
    readyReply = '220 Ready to start TLS',
    answer = () => '530 Must issue a STARTTLS command first',
    maxLineLength,
    ...tls
  } = options;
  const talk = new PlaintextConversation(transport, maxLineLength ? { maxLineLength } : {});
  if (greeting !== null) talk.writeLine(greeting);
  try {
    for (;;) {
      const line = await talk.readLine();
      if (line.trim().toUpperCase() === command.toUpperCase()) break;
      talk.writeLine(answer(line));
    }
  } catch (error) {
    transport.destroy();
    throw error;
  }
  talk.writeLine(readyReply);
  return talk.upgrade(context, { ...tls, serverSide: true });
}
