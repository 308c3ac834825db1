/**
 * Makes configured SSLContexts: Python's default contexts with a policy applied. The container
 * registers it (see container.ts), so the policy it uses is whatever was registered.
 */
import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import { Purpose } from '../constants/ssl-constants.js';
import { type ContextOptions, loadCertificate } from '../context/context-options.js';
import { MozillaIntermediate } from '../context/policies/mozilla.js';
import { createDefaultContext } from '../context/default-context.js';
import type { SSLContext } from '../context/ssl-context.js';
import { CLIENT_POLICY, CONTEXT_OPTIONS, SERVER_POLICY } from './tokens.js';
import { PythonDefaults, type TlsPolicy } from '../context/tls-policy.js';

/**
 * Server and client contexts under a policy. Without a container, `new ContextFactory()` gives
 * Mozilla Intermediate servers and Python-default clients.
 *
 * @example
 * ```ts
 * const factory = container.resolve(ContextFactory);
 * const strict = factory.server(new MozillaModern()); // this one context only
 * const usual = factory.server(); // the registered SERVER_POLICY
 * ```
 */
@injectable()
export class ContextFactory {
  readonly #serverPolicy: TlsPolicy;
  readonly #clientPolicy: TlsPolicy;
  readonly #options: ContextOptions;

  constructor(
    @inject(SERVER_POLICY) serverPolicy: TlsPolicy = new MozillaIntermediate(),
    @inject(CLIENT_POLICY) clientPolicy: TlsPolicy = new PythonDefaults(),
    @inject(CONTEXT_OPTIONS) options: ContextOptions = {},
  ) {
    this.#serverPolicy = serverPolicy;
    this.#clientPolicy = clientPolicy;
    this.#options = options;
  }

  /**
   * A `PROTOCOL_TLS_SERVER` context (Python's `create_default_context(Purpose.CLIENT_AUTH)`)
   * holding the configured certificate, with `policy` applied (the registered one by default).
   */
  server(policy: TlsPolicy = this.#serverPolicy): SSLContext {
    const { certificate, engine } = this.#options;
    const ctx = createDefaultContext(Purpose.CLIENT_AUTH, {}, engine ? { engine } : {});
    if (certificate) loadCertificate(ctx, certificate);
    policy.apply(ctx);
    return ctx;
  }

  /**
   * A `PROTOCOL_TLS_CLIENT` context (Python's `create_default_context()`: certificates and
   * hostnames verified, against the configured trust or the system's), with `policy` applied.
   */
  client(policy: TlsPolicy = this.#clientPolicy): SSLContext {
    const { trust, engine } = this.#options;
    const ctx = createDefaultContext(Purpose.SERVER_AUTH, trust ?? {}, engine ? { engine } : {});
    policy.apply(ctx);
    return ctx;
  }
}
