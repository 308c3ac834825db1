/**
 * A TLS policy: a named, reusable set of decisions (versions, ciphers, trust, client
 * certificates, pins) applied to an SSLContext. Policies are how contexts come out of a
 * dependency-injection container configured, so that changing one is one registration.
 */
import type { SSLContext } from './ssl-context.js';

/**
 * Configures an SSLContext. A policy only sets what it is about and leaves the rest as it
 * found it, so policies compose (see {@link combinePolicies}); it may look at `ctx.protocol` to
 * act differently on client and server contexts.
 *
 * @example
 * ```ts
 * class Tls13Only implements TlsPolicy {
 *   readonly name = 'tls13-only';
 *   apply(ctx: SSLContext): void {
 *     ctx.minimumVersion = TLSVersion.TLSv1_3;
 *   }
 * }
 * ```
 */
export interface TlsPolicy {
  /** A short identifier for logs and diagnostics, such as `mozilla-intermediate`. */
  readonly name: string;
  /** Configures `ctx`; throws (ValueError, SSLError) if the policy cannot apply to it. */
  apply(ctx: SSLContext): void;
}

/** The policy that changes nothing: contexts keep Python's defaults. */
export class PythonDefaults implements TlsPolicy {
  readonly name = 'python-defaults';
  apply(_ctx: SSLContext): void {}
}

/**
 * One policy applying several in order (later ones win where they overlap), such as a Mozilla
 * profile plus mutual TLS.
 *
 * @example
 * ```ts
 * const policy = combinePolicies(new MozillaIntermediate(), new MutualTls({ ca: { cafile } }));
 * ```
 */
export function combinePolicies(...policies: readonly TlsPolicy[]): TlsPolicy {
  const parts = Object.freeze([...policies]);
  return Object.freeze({
    name: parts.map((policy) => policy.name).join('+') || 'python-defaults',
    apply(ctx: SSLContext): void {
      for (const policy of parts) policy.apply(ctx);
    },
  });
}
