/**
 * The node engine's pre-shared-key options: Python's PSK callbacks as node:tls's `pskCallback`.
 * A callback that throws answers "no key" (OpenSSL then refuses the handshake) and hands what it
 * threw to `onError`, the cause of the failure that follows (docs/architecture.md, Containment).
 */
import type tls from 'node:tls';
import type { EngineConfig } from '../../sansio/engine.js';

export function pskServerOptions(
  config: EngineConfig,
  onError: (error: unknown) => void,
): Partial<tls.TLSSocketOptions> {
  const hook = config.pskServer;
  if (!hook) return {};
  return {
    pskCallback: (_socket: tls.TLSSocket, identity: string) => {
      try {
        const key = hook(identity);
        return key.length > 0 ? Buffer.from(key) : null;
      } catch (error) {
        onError(error);
        return null;
      }
    },
    ...(config.pskIdentityHint ? { pskIdentityHint: config.pskIdentityHint } : {}),
  } as Partial<tls.TLSSocketOptions>;
}

export function pskClientOptions(
  config: EngineConfig,
  onError: (error: unknown) => void,
): Partial<tls.ConnectionOptions> {
  const hook = config.pskClient;
  if (!hook) return {};
  return {
    pskCallback: (hint: string | null) => {
      try {
        const answer = hook(hint);
        if (!answer) return null;
        return { psk: Buffer.from(answer[1]), identity: answer[0] ?? '' };
      } catch (error) {
        onError(error);
        return null;
      }
    },
  };
}
