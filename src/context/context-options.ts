/**
 * What the ContextFactory needs beyond a policy: where the server's certificate and the client's
 * trust anchors come from, and which engine runs connections. Shared by several policies too.
 */
import type { EngineKind } from '../transport/sansio/engine.js';
import type { Password } from './credentials.js';
import type { SSLContext } from './ssl-context.js';

/** A certificate chain and its key, from files (as `loadCertChain`) or memory (PEM or DER). */
export type CertificateSource =
  | { certfile: string; keyfile?: string | null; password?: Password }
  | { cert: string | Uint8Array; key?: string | Uint8Array; password?: Password };

/** Trust anchors, as `loadVerifyLocations` takes them. */
export interface TrustSource {
  cafile?: string;
  capath?: string;
  cadata?: string | Uint8Array;
}

/** Options of the {@link ContextFactory} (token `CONTEXT_OPTIONS`). */
export interface ContextOptions {
  /** The server's own certificate, loaded into every server context. */
  certificate?: CertificateSource;
  /** What client contexts trust; without it, the system's store (as Python). */
  trust?: TrustSource;
  /** The engine contexts use; without it, the process default. */
  engine?: EngineKind;
}

/** Loads `source` as the context's own certificate chain. */
export function loadCertificate(ctx: SSLContext, source: CertificateSource): void {
  if ('certfile' in source) ctx.loadCertChain(source.certfile, source.keyfile, source.password);
  else ctx.loadCertChainData(source);
}

/** Adds `source` to the context's trust anchors. */
export function loadTrust(ctx: SSLContext, source: TrustSource): void {
  ctx.loadVerifyLocations({
    cafile: source.cafile ?? null,
    capath: source.capath ?? null,
    cadata: source.cadata ?? null,
  });
}
