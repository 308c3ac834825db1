/**
 * rxtls's composition root for tsyringe. Nothing is registered when this module is imported:
 * an application makes a container and registers the defaults into it, then overrides what it
 * wants with ordinary registrations, later ones winning.
 */
import 'reflect-metadata';
import {
  container as rootContainer,
  type DependencyContainer,
  instancePerContainerCachingFactory,
} from 'tsyringe';
import { ValueError } from '../errors/errors.js';
import { defaultReactor } from '../transport/stream/reactor.js';
import { ContextFactory } from './context-factory.js';
import type { ContextOptions } from '../context/context-options.js';
import { MozillaIntermediate } from '../context/policies/mozilla.js';
import {
  CLIENT_CONTEXT,
  CLIENT_POLICY,
  CONTEXT_OPTIONS,
  REACTOR,
  SERVER_CONTEXT,
  SERVER_POLICY,
} from './tokens.js';
import { PythonDefaults, type TlsPolicy } from '../context/tls-policy.js';

/** tsyringe's container type, for layers that must not import tsyringe themselves. */
export type { DependencyContainer } from 'tsyringe';

/** Options of {@link registerDefaults}. */
export interface DefaultsOptions extends ContextOptions {
  /** The policy of server contexts; Mozilla Intermediate by default. */
  serverPolicy?: TlsPolicy;
  /** The policy of client contexts; Python's defaults by default. */
  clientPolicy?: TlsPolicy;
}

/**
 * A new container, child of tsyringe's global one (or of `parent`), so rxtls's registrations
 * never leak into the process-wide container and each test or tenant gets its own.
 */
export function createContainer(parent: DependencyContainer = rootContainer): DependencyContainer {
  return parent.createChildContainer();
}

/**
 * Registers SERVER_POLICY, CLIENT_POLICY, CONTEXT_OPTIONS, ContextFactory, REACTOR (the process's
 * reactor), and SERVER_CONTEXT /
 * CLIENT_CONTEXT (one context per container that resolves them, made on first use from the
 * policies registered then). Refuses tsyringe's global container. Returns `target`.
 *
 * @example
 * ```ts
 * const container = registerDefaults(createContainer(), {
 *   certificate: { certfile: 'server.pem', keyfile: 'server-key.pem' },
 * });
 * container.register(SERVER_POLICY, { useValue: new MozillaModern() }); // TLS 1.3 only now
 * const ctx = container.resolve(SERVER_CONTEXT);
 * ```
 */
export function registerDefaults(
  target: DependencyContainer,
  options: DefaultsOptions = {},
): DependencyContainer {
  if (target === rootContainer) {
    throw new ValueError(
      "rxtls registers into a container of its own: use createContainer(), not tsyringe's global container",
    );
  }
  const { serverPolicy, clientPolicy, ...contextOptions } = options;
  target.register(CONTEXT_OPTIONS, { useValue: Object.freeze(contextOptions) });
  target.register(SERVER_POLICY, { useValue: serverPolicy ?? new MozillaIntermediate() });
  target.register(CLIENT_POLICY, { useValue: clientPolicy ?? new PythonDefaults() });
  target.register(ContextFactory, { useClass: ContextFactory });
  target.register(REACTOR, { useFactory: () => defaultReactor() });
  target.register(SERVER_CONTEXT, {
    useFactory: instancePerContainerCachingFactory((c) => c.resolve(ContextFactory).server()),
  });
  target.register(CLIENT_CONTEXT, {
    useFactory: instancePerContainerCachingFactory((c) => c.resolve(ContextFactory).client()),
  });
  return target;
}
