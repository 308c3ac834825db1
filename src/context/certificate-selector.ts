/**
 * Certificates chosen per client, asynchronously: `SSLContext.setCertificateSelector`. The
 * selector sees the ClientHello and answers with a context (its certificate serves the
 * connection), an alert, or nothing (keep this context), at once or later (a Promise or an
 * Observable). A later answer makes the engine's ClientHello hook say "not yet": the handshake
 * waits (SSLWantClientHelloError, docs/architecture.md, The engine seam) and, once the lookup
 * settles, the retried hook decides. A lookup that fails or outlives its timeout refuses the
 * handshake with handshake_failure and that connection's error; nothing else is touched.
 */
import { from, isObservable, type Observable, type Subscription, take } from 'rxjs';
import {
  ALERT_DESCRIPTION_HANDSHAKE_FAILURE,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  type SSLMethod,
} from '../constants/ssl-constants.js';
import { TLSTimeoutError, typeError, ValueError } from '../errors/errors.js';
import type {
  ClientHelloFacts,
  EngineConfig,
  HelloDecision,
  PendingHello,
  TlsEngine,
} from '../transport/sansio/engine.js';
import { type SSLObject, sslObjectOf } from '../transport/sansio/ssl-object.js';
import type { SSLContext } from './ssl-context.js';

/** How long a lookup may take by default before the handshake is refused. */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 5000;

/** What a certificate selector is told about the connection. */
export interface ClientHelloInfo {
  /** The SNI host name the client sent, or null. */
  readonly serverName: string | null;
  /** The connection, as an SNI callback receives it. */
  readonly sslobj: SSLObject<SSLContext>;
  /** The context the connection was made from (the one the selector is set on). */
  readonly context: SSLContext;
  /** Aborted when the answer is no longer wanted: the lookup timed out or the connection ended. */
  readonly signal: AbortSignal;
}

/**
 * A selector's answer: another SSLContext to serve the connection with (its certificate, and its
 * SNI callback after this), an `ALERT_DESCRIPTION_*` number to refuse the handshake with that
 * alert, or null / undefined / this context to keep it.
 */
export type CertificateChoice = SSLContext | number | null | undefined;

/** Chooses a connection's certificate from its ClientHello, at once or later. */
export type CertificateSelector = (
  hello: ClientHelloInfo,
) => CertificateChoice | PromiseLike<CertificateChoice> | Observable<CertificateChoice>;

/** Options of {@link SSLContext.setCertificateSelector}. */
export interface CertificateSelectorOptions {
  /** How long a lookup may take before the handshake is refused (default 5000 ms). */
  timeoutMs?: number;
}

/** One connection's lookup: running, then decided (its decision is taken once, then `continue`). */
interface Lookup {
  decision: HelloDecision | undefined;
  readonly pending: PendingHello;
}

const CONTINUE: HelloDecision = Object.freeze({ kind: 'continue' });

/** A context's selector, validated; `hookFor(context)` is the engine's ClientHello hook. */
export class CertificateSelection {
  readonly selector: CertificateSelector;
  readonly timeoutMs: number;
  /** Each connection's lookup, by engine: the hook is asked again until it decides. */
  readonly #lookups = new WeakMap<TlsEngine, Lookup>();

  /**
   * `SSLContext.setCertificateSelector`'s argument checks: servers only (not on a context of
   * `protocol` PROTOCOL_TLS_CLIENT), a function or null (no selector).
   */
  static of(
    selector: CertificateSelector | null,
    options: CertificateSelectorOptions = {},
    protocol: SSLMethod = PROTOCOL_TLS_SERVER,
  ): CertificateSelection | undefined {
    if (protocol === PROTOCOL_TLS_CLIENT) {
      throw new ValueError('a certificate selector cannot be set on a TLS_CLIENT context');
    }
    return selector === null ? undefined : new CertificateSelection(selector, options);
  }

  constructor(selector: CertificateSelector, options: CertificateSelectorOptions) {
    if (typeof selector !== 'function') throw new TypeError('not a callable object');
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number') throw typeError('timeoutMs', 'a number', timeoutMs);
    if (!(timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1)) {
      throw new ValueError(`timeoutMs must be between 1 and ${2 ** 31 - 1}, not ${timeoutMs}`);
    }
    this.selector = selector;
    this.timeoutMs = timeoutMs;
  }

  /** The ClientHello hook of `context`'s engine configuration. */
  hookFor(context: SSLContext): NonNullable<EngineConfig['clientHello']> {
    return (engine, hello) => this.#decide(context, engine, hello);
  }

  #decide(context: SSLContext, engine: TlsEngine, hello: ClientHelloFacts): HelloDecision {
    const sslobj = sslObjectOf<SSLContext>(engine);
    if (!sslobj) return CONTINUE;
    const lookup = this.#lookups.get(engine);
    if (lookup) {
      const decision = lookup.decision;
      if (decision === undefined) return { kind: 'retry', pending: lookup.pending };
      // Taken once; a second ClientHello (after a HelloRetryRequest) keeps what was chosen.
      lookup.decision = CONTINUE;
      return decision;
    }
    const started = this.#start(context, sslobj, hello);
    this.#lookups.set(engine, started);
    return this.#decide(context, engine, hello);
  }

  /** Runs the selector; an answer given at once is decided before this returns. */
  #start(context: SSLContext, sslobj: SSLObject<SSLContext>, hello: ClientHelloFacts): Lookup {
    const abort = new AbortController();
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let subscription: Subscription | undefined;
    const finish = (decision: HelloDecision): void => {
      if (lookup.decision !== undefined) return;
      lookup.decision = decision;
      if (timer !== undefined) clearTimeout(timer);
      subscription?.unsubscribe();
      settle();
    };
    const refuse = (cause: unknown): void =>
      finish({ kind: 'alert', alert: ALERT_DESCRIPTION_HANDSHAKE_FAILURE, cause });
    const lookup: Lookup = {
      decision: undefined,
      pending: {
        settled,
        cancel: () => {
          refuse(new ValueError('the connection ended before its certificate lookup'));
          abort.abort();
        },
      },
    };
    let answer: ReturnType<CertificateSelector>;
    try {
      answer = this.selector({
        serverName: hello.serverName,
        sslobj,
        context,
        signal: abort.signal,
      });
    } catch (error) {
      refuse(error);
      return lookup;
    }
    if (!isObservable(answer) && !isThenable(answer)) {
      finish(choose(context, sslobj, answer));
      return lookup;
    }
    let answered = false;
    subscription = from(answer as Observable<CertificateChoice>)
      .pipe(take(1))
      .subscribe({
        next: (choice) => {
          answered = true;
          finish(choose(context, sslobj, choice));
        },
        error: refuse,
        // An Observable that completes without an answer keeps this context.
        complete: () => {
          if (!answered) finish(CONTINUE);
        },
      });
    if (lookup.decision === undefined) {
      timer = setTimeout(() => {
        refuse(new TLSTimeoutError('lookup', this.timeoutMs));
        abort.abort();
      }, this.timeoutMs);
    } else {
      subscription.unsubscribe();
    }
    return lookup;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** The decision for a selector's answer; switching assigns `sslobj.context` as SNI callbacks do. */
function choose(
  context: SSLContext,
  sslobj: SSLObject<SSLContext>,
  choice: CertificateChoice,
): HelloDecision {
  if (choice === null || choice === undefined || choice === context) return CONTINUE;
  if (typeof choice === 'number') {
    if (Number.isInteger(choice) && choice >= 0 && choice <= 255)
      return { kind: 'alert', alert: choice };
    const cause = new ValueError(`a certificate selector answered ${choice}, not an alert number`);
    return { kind: 'alert', alert: ALERT_DESCRIPTION_HANDSHAKE_FAILURE, cause };
  }
  try {
    sslobj.context = choice; // a TypeError for anything but an SSLContext
    return { kind: 'switch', config: choice.engineConfig() };
  } catch (error) {
    return { kind: 'alert', alert: ALERT_DESCRIPTION_HANDSHAKE_FAILURE, cause: error };
  }
}
