/**
 * Two sites on one port: the SNI callback picks the certificate (the SSLContext) by the name the
 * client asked for, as Python's `sni_callback` does by assigning `sslobj.context`.
 *
 * Run: node dist/examples/sni-virtual-hosts.js
 */
import { lastValueFrom, of, toArray } from 'rxjs';
import { createDefaultContext } from '../src/context/default-context.js';
import { SSLContext } from '../src/context/ssl-context.js';
import { connect } from '../src/endpoints/connect.js';
import { createServer, type Server } from '../src/endpoints/server.js';
import { PROTOCOL_TLS_SERVER, Purpose } from '../src/constants/ssl-constants.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** The virtual hosts this example serves. */
export const HOSTS = ['alpha.example.test', 'beta.example.test'] as const;

/** What a client saw at one virtual host. */
export interface Visit {
  /** What the site answered. */
  greeting: string;
  /** The DNS names of the certificate the server presented. */
  certificateNames: string[];
}

/** A running two-site server. */
export interface SniExample {
  server: Server;
  port: number;
  /** Connects to `host` (sent as SNI and verified) on 127.0.0.1. */
  visit(host: string): Promise<Visit>;
  close(): Promise<void>;
}

/** Starts the server. */
export async function main(options: { port?: number } = {}): Promise<SniExample> {
  const certs = await exampleCertificates({ alpha: [HOSTS[0]], beta: [HOSTS[1]] });
  const sites = new Map<string, SSLContext>();
  for (const [name, host] of [
    ['alpha', HOSTS[0]],
    ['beta', HOSTS[1]],
  ] as const) {
    const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
    ctx.loadCertChain(certs.files(name).certfile, certs.files(name).keyfile);
    sites.set(host, ctx);
  }
  const fallback = sites.get(HOSTS[0]) as SSLContext;
  fallback.sniCallback = (sslobj, serverName) => {
    const site = serverName === null ? undefined : sites.get(serverName);
    if (site) sslobj.context = site;
    return undefined; // serve on; an unknown name gets the first site's certificate
  };

  const server = createServer({
    context: fallback,
    protocol: (_input$, socket) => {
      const host = [...sites].find(([, ctx]) => ctx === socket.context)?.[0];
      return of(`welcome to ${host}\n`);
    },
  });
  const { port } = await server.listen(options.port ?? 0, '127.0.0.1');

  async function visit(host: string): Promise<Visit> {
    const context = createDefaultContext(Purpose.SERVER_AUTH, { cafile: certs.caFile });
    const socket = await connect({ host: '127.0.0.1', port, serverHostname: host, context });
    const cert = socket.getpeercert() as { subjectAltName?: [string, string][] };
    const greeting = Buffer.concat(await lastValueFrom(socket.data$.pipe(toArray()))).toString();
    return { greeting, certificateNames: (cert.subjectAltName ?? []).map(([, name]) => name) };
  }

  return {
    server,
    port,
    visit,
    async close() {
      await server.close({ timeoutMs: 1_000 });
      certs.remove();
    },
  };
}

if (isMain(import.meta.url)) {
  const example = await main({ port: Number(process.env['PORT'] ?? 0) });
  for (const host of HOSTS) {
    const { greeting, certificateNames } = await example.visit(host);
    console.log(`${host}: ${greeting.trim()} (certificate for ${certificateNames.join(', ')})`);
  }
  await example.close();
}
