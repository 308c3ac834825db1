/**
 * Which engines exist and which one a context gets by default: `RXTLS_ENGINE=native|node`, else
 * the native engine wherever its addon loads, else the node engine.
 */
import type { EngineFactory, EngineKind } from '../sansio/engine.js';
import { ValueError } from '../../errors/errors.js';
import { createNativeEngine, nativeEngineAvailable } from './native/native-engine.js';
import { createNodeEngine } from './node/node-engine.js';

const factories = new Map<EngineKind, () => EngineFactory | undefined>([
  ['node', () => createNodeEngine],
  ['native', () => (nativeEngineAvailable() ? createNativeEngine : undefined)],
]);

/** Whether an engine can run in this process. */
export function engineAvailable(kind: EngineKind): boolean {
  return factories.get(kind)?.() !== undefined;
}

/** The engine a context uses when it names none. */
export function defaultEngineKind(env: NodeJS.ProcessEnv = process.env): EngineKind {
  const wanted = env['RXTLS_ENGINE'];
  if (wanted === 'native' || wanted === 'node') return wanted;
  return engineAvailable('native') ? 'native' : 'node';
}

/** The factory of an engine; ValueError if it is unknown or cannot run here. */
export function engineFactory(kind: EngineKind): EngineFactory {
  const factory = factories.get(kind)?.();
  if (!factory) {
    throw new ValueError(
      kind === 'native' || kind === 'node'
        ? `the ${kind} engine is not available in this process`
        : `unknown engine '${String(kind)}' (expected 'native' or 'node')`,
    );
  }
  return factory;
}
