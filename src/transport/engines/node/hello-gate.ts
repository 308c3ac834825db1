/**
 * A node engine server's ClientHello hooks, run before Node sees the ClientHello: the certificate
 * selector (which may answer "not yet"), then the SNI hook of the configuration it chose.
 *
 * Python calls the SNI callback for every ClientHello, with None when it names no server, and
 * lets it switch the context or refuse with an alert; Node calls SNICallback only when a name was
 * sent, and has no ClientHello callback that can suspend a handshake. So the engine reads the
 * ClientHello itself and hands Node the connection only once the hooks have decided. A
 * ClientHello spanning several records cannot be read here: Node's asynchronous SNICallback runs
 * the same hooks then, only when a name was sent, and the handshake waits inside Node (README,
 * Certificates chosen per client).
 */
import type tls from 'node:tls';
import { SSLError } from '../../../errors/errors.js';
import { firstRecordLength, parseClientHello } from '../../sansio/client-hello.js';
import type { EngineConfig, PendingHello, SniDecision, TlsEngine } from '../../sansio/engine.js';
import type { MemoryBIO } from '../../sansio/memory-bio.js';
import { mapNodeError } from './node-errors.js';
import { secureContextFor } from './node-secure-context.js';

/** What the gate says of the ClientHello in `incoming`. */
export type GateOutcome =
  | { readonly kind: 'incomplete' } // its first record is not all here yet
  | { readonly kind: 'waiting'; readonly pending: PendingHello } // the selector's lookup runs
  | { readonly kind: 'refuse'; readonly alert: number; readonly cause: unknown }
  | { readonly kind: 'proceed'; readonly config: EngineConfig }; // hand Node the connection

/** What the engine does with the hooks' answers given in Node's SNICallback. */
export interface GateAnswers {
  adopt(config: EngineConfig): void;
  refuse(alert: number, cause: unknown): void;
}

type SNICallback = tls.TlsOptions['SNICallback'];

type Decided = { readonly kind: 'proceed'; readonly config: EngineConfig } | SniDecision;

const INCOMPLETE: GateOutcome = Object.freeze({ kind: 'incomplete' });

/** One server connection's ClientHello hooks (see the file's comment). */
export class HelloGate {
  /** The selector's lookup the handshake waits for. */
  #pending: PendingHello | undefined;
  /** The selector decided (its decision is taken once). */
  #selected = false;
  /** The SNI hook ran (so Node's SNICallback must not run it again). */
  #named = false;
  #closed = false;

  /** Whether a connection must wait for the gate before Node sees its ClientHello. */
  static needed(serverSide: boolean, config: EngineConfig): boolean {
    return serverSide && (config.sni !== undefined || config.clientHello !== undefined);
  }

  /** The lookup the handshake waits for, if one runs. */
  get pending(): PendingHello | undefined {
    return this.#pending;
  }

  /** Runs the hooks on the ClientHello at the head of `incoming` (read, not consumed). */
  decide(engine: TlsEngine, config: EngineConfig, incoming: MemoryBIO): GateOutcome {
    const first = incoming.peek(incoming.pending);
    const length = firstRecordLength(first);
    if (length === undefined && !incoming.eofWritten) return INCOMPLETE;
    const hello = length === undefined ? undefined : parseClientHello(first.subarray(0, length));
    if (!hello) return { kind: 'proceed', config };
    const decided = this.#run(engine, config, hello.serverName);
    if (decided.kind === 'retry') return { kind: 'waiting', pending: decided.pending };
    if (decided.kind === 'alert') {
      return { kind: 'refuse', alert: decided.alert, cause: decided.cause };
    }
    return { kind: 'proceed', config: decided.kind === 'proceed' ? decided.config : config };
  }

  /**
   * Node's SNICallback, for a ClientHello `decide` could not read, while a hook is still to run:
   * `adopt` takes the configuration the hooks chose, `refuse` sends their alert (nothing has
   * been sent yet) and fails the engine.
   */
  sniCallback(engine: TlsEngine, config: EngineConfig, answer: GateAnswers): SNICallback {
    const selecting = config.clientHello !== undefined && !this.#selected;
    if (!selecting && (config.sni === undefined || this.#named)) return undefined;
    return (name, cb) => this.#answerNode(engine, config, name || null, answer, cb);
  }

  #answerNode(
    engine: TlsEngine,
    config: EngineConfig,
    name: string | null,
    answer: GateAnswers,
    cb: (error: Error | null, context?: tls.SecureContext) => void,
  ): void {
    if (this.#closed) return;
    const decided = this.#run(engine, config, name);
    if (decided.kind === 'retry') {
      void decided.pending.settled.then(() => {
        try {
          this.#answerNode(engine, config, name, answer, cb);
        } catch (error) {
          cb(mapNodeError(error));
        }
      });
      return;
    }
    if (decided.kind === 'alert') {
      const { alert, cause } = decided;
      answer.refuse(alert, cause);
      cb(new SSLError(`the ClientHello hooks refused the name with alert ${alert}`, { cause }));
      return;
    }
    if (decided.kind !== 'proceed' || decided.config === config) {
      cb(null);
      return;
    }
    answer.adopt(decided.config);
    // The first context's ticket keys stay, as OpenSSL keeps the session context's across an SNI
    // switch, so virtual hosts sharing a ring resume anywhere (docs/architecture.md, Session tickets).
    let context: tls.SecureContext;
    try {
      context = secureContextFor(decided.config, config.ticketKeys);
    } catch (error) {
      // Material OpenSSL refuses only now fails this handshake (docs/architecture.md,
      // Containment), not the process from inside Node's callback.
      cb(mapNodeError(error));
      return;
    }
    cb(null, context);
  }

  /** The selector (once), then the SNI hook of the configuration it left. */
  #run(
    engine: TlsEngine,
    config: EngineConfig,
    serverName: string | null,
  ): Decided | { readonly kind: 'retry'; readonly pending: PendingHello } {
    let current = config;
    if (current.clientHello !== undefined && !this.#selected) {
      const decision = current.clientHello(engine, { serverName });
      if (decision.kind === 'retry') {
        this.#pending = decision.pending;
        return decision;
      }
      this.#pending = undefined;
      this.#selected = true;
      if (decision.kind === 'alert') return decision;
      if (decision.kind === 'switch') current = decision.config;
    }
    if (current.sni !== undefined && !this.#named) {
      this.#named = true;
      const decision = current.sni(engine, serverName);
      if (decision.kind === 'alert') return decision;
      if (decision.kind === 'switch') current = decision.config;
    }
    return { kind: 'proceed', config: current };
  }

  /** The engine is destroyed: a running lookup is given up. */
  close(): void {
    this.#closed = true;
    this.#pending?.cancel();
    this.#pending = undefined;
  }
}
