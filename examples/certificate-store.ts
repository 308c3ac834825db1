/**
 * Certificates chosen per client, asynchronously: when a ClientHello arrives, the server looks the
 * name up in a secrets store (here a stand-in that answers on a later turn, as a database or a
 * vault would) and serves the certificate it finds; the handshake waits for the lookup and goes
 * on. An unknown name is refused with the unrecognized_name alert. Contexts are kept per name, so
 * each certificate is loaded (and its SSL_CTX built) once.
 *
 * Run: node dist/examples/certificate-store.js
 */
import { readFileSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { lastValueFrom, of, toArray } from 'rxjs';
import { createDefaultContext } from '../src/context/default-context.js';
import { SSLContext } from '../src/context/ssl-context.js';
import { connect } from '../src/endpoints/connect.js';
import { createServer, type Server } from '../src/endpoints/server.js';
import {
  ALERT_DESCRIPTION_UNRECOGNIZED_NAME,
  PROTOCOL_TLS_SERVER,
  Purpose,
} from '../src/constants/ssl-constants.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** The names the store holds certificates for. */
export const HOSTS = ['shop.example.test', 'blog.example.test'] as const;

/** A certificate and its key, PEM, as a secrets store returns them. */
interface StoredCertificate {
  cert: string;
  key: string;
}

/** Stands in for a database or a secrets manager: every answer comes on a later turn. */
class SecretsStore {
  lookups = 0;
  readonly #entries: Map<string, StoredCertificate>;
  constructor(entries: Map<string, StoredCertificate>) {
    this.#entries = entries;
  }
  async get(name: string): Promise<StoredCertificate | undefined> {
    this.lookups++;
    await nextTurn();
    return this.#entries.get(name);
  }
}

/** A running server and a way to visit it. */
export interface CertificateStoreExample {
  server: Server;
  port: number;
  /** How many times the store was asked. */
  lookups(): number;
  /** Connects with `host` as SNI; answers the greeting and the certificate's names. */
  visit(host: string): Promise<{ greeting: string; certificateNames: string[] }>;
  close(): Promise<void>;
}

export async function main(options: { port?: number } = {}): Promise<CertificateStoreExample> {
  const certs = await exampleCertificates({ shop: [HOSTS[0]], blog: [HOSTS[1]] });
  const store = new SecretsStore(
    new Map(
      (['shop', 'blog'] as const).map((name, i) => {
        const { certfile, keyfile } = certs.files(name);
        const entry = { cert: readFileSync(certfile, 'utf8'), key: readFileSync(keyfile, 'utf8') };
        return [HOSTS[i] as string, entry];
      }),
    ),
  );

  // One context per name, made on the first lookup and kept (a failed lookup is forgotten).
  const contexts = new Map<string, Promise<SSLContext | number>>();
  const names = new Map<SSLContext, string>();
  async function contextFor(name: string): Promise<SSLContext | number> {
    const stored = await store.get(name);
    if (!stored) return ALERT_DESCRIPTION_UNRECOGNIZED_NAME;
    const context = new SSLContext(PROTOCOL_TLS_SERVER);
    context.loadCertChainData(stored);
    names.set(context, name);
    return context;
  }

  // The context connections are made from: it holds no certificate of its own.
  const front = new SSLContext(PROTOCOL_TLS_SERVER);
  front.setCertificateSelector(
    ({ serverName }) => {
      if (serverName === null) return ALERT_DESCRIPTION_UNRECOGNIZED_NAME;
      let chosen = contexts.get(serverName);
      if (!chosen) {
        chosen = contextFor(serverName);
        contexts.set(serverName, chosen);
        chosen.catch(() => contexts.delete(serverName));
      }
      return chosen;
    },
    { timeoutMs: 2_000 },
  );

  const server = createServer({
    context: front,
    // The connection's context is the one the selector chose (as after an SNI callback's switch).
    protocol: (_input$, socket) =>
      of(`served with the certificate of ${names.get(socket.context as SSLContext)}\n`),
  });
  const { port } = await server.listen(options.port ?? 0, '127.0.0.1');

  async function visit(host: string) {
    const context = createDefaultContext(Purpose.SERVER_AUTH, { cafile: certs.caFile });
    const socket = await connect({ host: '127.0.0.1', port, serverHostname: host, context });
    const cert = socket.getpeercert() as { subjectAltName?: [string, string][] };
    const greeting = Buffer.concat(await lastValueFrom(socket.data$.pipe(toArray()))).toString();
    return { greeting, certificateNames: (cert.subjectAltName ?? []).map(([, name]) => name) };
  }

  return {
    server,
    port,
    lookups: () => store.lookups,
    visit,
    async close() {
      await server.close({ timeoutMs: 1_000 });
      certs.remove();
    },
  };
}

if (isMain(import.meta.url)) {
  const example = await main({ port: Number(process.env['PORT'] ?? 0) });
  for (const host of [...HOSTS, 'unknown.example.test']) {
    try {
      const { greeting, certificateNames } = await example.visit(host);
      console.log(`${host}: ${greeting.trim()} (certificate for ${certificateNames.join(', ')})`);
    } catch (error) {
      console.log(`${host}: refused (${(error as Error).message})`);
    }
  }
  await example.close();
}
