/**
 * The rxtls side of the benchmark: two SSLObjects (node engine) pumped in memory, with the same
 * policy a Python application gets from PROTOCOL_TLS_CLIENT / PROTOCOL_TLS_SERVER contexts
 * (the client verifies the chain and the hostname).
 */
import { SSLContext } from '../src/context/ssl-context.js';
import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import { DEFAULT_OUTGOING_HIGH_WATER_MARK } from '../src/transport/limits.js';
import { MemoryBIO } from '../src/transport/sansio/memory-bio.js';
import type { SSLObject } from '../src/transport/sansio/ssl-object.js';
import type { BenchPki, TlsPath } from './bench-types.js';
import { MemoryPump } from './memory-pump.js';

/** An SSLObject over fresh BIOs whose outgoing side pushes back at the default mark. */
function wrap(ctx: SSLContext, serverSide: boolean): SSLObject<SSLContext> {
  const outgoing = new MemoryBIO({ highWaterMark: DEFAULT_OUTGOING_HIGH_WATER_MARK });
  return ctx.wrapBio(new MemoryBIO(), outgoing, {
    serverSide,
    serverHostname: serverSide ? null : 'localhost',
  });
}

/** Two SSLContexts, one SSLObject pair per connection. */
export function rxtlsPath(pki: BenchPki): TlsPath {
  const server = new SSLContext(PROTOCOL_TLS_SERVER, { engine: 'node' });
  server.loadCertChainData({ cert: pki.leaf.cert, key: pki.leaf.key });
  const client = new SSLContext(PROTOCOL_TLS_CLIENT, { engine: 'node' });
  client.loadVerifyLocations({ cadata: pki.ca.cert });

  async function connect(): Promise<{ pump: MemoryPump; close(): void; c: SSLObject }> {
    const c = wrap(client, false);
    const s = wrap(server, true);
    const pump = new MemoryPump(c, s);
    await pump.handshake();
    return {
      pump,
      c,
      close() {
        pump.close();
        c.destroy();
        s.destroy();
      },
    };
  }

  return {
    name: 'rxtls',
    async handshake(): Promise<void> {
      (await connect()).close();
    },
    async describe(): Promise<string> {
      const conn = await connect();
      const [name, version] = conn.c.cipher() ?? ['?', '?'];
      conn.close();
      return `${version} ${name}`;
    },
    async bulk(total: number, chunk: Buffer): Promise<void> {
      const conn = await connect();
      try {
        const received = await conn.pump.stream(total, chunk);
        if (received !== total) throw new Error(`rxtls: received ${received} of ${total} bytes`);
      } finally {
        conn.close();
      }
    },
    async close(): Promise<void> {},
  };
}
