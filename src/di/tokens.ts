/**
 * Injection tokens of rxtls's dependency-injection layer (tsyringe). Symbols, so they never
 * collide with an application's own tokens; typed, so `container.resolve(SERVER_CONTEXT)` is an
 * SSLContext without a cast.
 */
import type { InjectionToken } from 'tsyringe';
import type { Reactor } from '../transport/stream/reactor.js';
import type { ContextOptions } from '../context/context-options.js';
import type { SSLContext } from '../context/ssl-context.js';
import type { TlsPolicy } from '../context/tls-policy.js';

/**
 * The SSLContext servers use when none is passed: `PROTOCOL_TLS_SERVER` with the
 * {@link SERVER_POLICY} applied (Mozilla intermediate by default).
 *
 * @example
 * ```ts
 * class EchoServer {
 *   constructor(@inject(SERVER_CONTEXT) readonly context: SSLContext) {}
 * }
 * ```
 */
export const SERVER_CONTEXT: InjectionToken<SSLContext> = Symbol('rxtls.SERVER_CONTEXT');

/**
 * The SSLContext clients use when none is passed: Python's `create_default_context()` (verifies
 * certificates and hostnames) with the {@link CLIENT_POLICY} applied.
 */
export const CLIENT_CONTEXT: InjectionToken<SSLContext> = Symbol('rxtls.CLIENT_CONTEXT');

/** The policy server contexts get: register another one to change every server at once. */
export const SERVER_POLICY: InjectionToken<TlsPolicy> = Symbol('rxtls.SERVER_POLICY');

/** The policy client contexts get (Python's defaults unless registered otherwise). */
export const CLIENT_POLICY: InjectionToken<TlsPolicy> = Symbol('rxtls.CLIENT_POLICY');

/** What contexts are made with: the server's certificate, the client's trust, the engine. */
export const CONTEXT_OPTIONS: InjectionToken<ContextOptions> = Symbol('rxtls.CONTEXT_OPTIONS');

/**
 * The Reactor servers and protocols run on: the process's by default; a server given its own
 * reactor registers it for the protocols it resolves.
 *
 * @example
 * ```ts
 * @injectable()
 * class StatsProtocol implements Protocol {
 *   constructor(@inject(REACTOR) readonly reactor: Reactor) {}
 * }
 * ```
 */
export const REACTOR: InjectionToken<Reactor> = Symbol('rxtls.REACTOR');
