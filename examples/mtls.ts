/**
 * Mutual TLS: the server requires a client certificate issued by its CA and greets the client
 * by the name in it. A client without a certificate is refused, and says so clearly.
 *
 * Run: node dist/examples/mtls.js   (starts the server, then connects once with a certificate
 *                                    and once without)
 */
import { lastValueFrom, of, toArray } from 'rxjs';
import { createDefaultContext } from '../src/context/default-context.js';
import { SSLContext } from '../src/context/ssl-context.js';
import { connect } from '../src/endpoints/connect.js';
import { createServer, type Server } from '../src/endpoints/server.js';
import { CERT_REQUIRED, PROTOCOL_TLS_SERVER, Purpose } from '../src/constants/ssl-constants.js';
import { SSLError } from '../src/errors/errors.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** A running mTLS server and a client to try it. */
export interface MtlsExample {
  server: Server;
  port: number;
  /** Connects as `alice` (with her certificate) or anonymously; resolves with the greeting. */
  client(withCertificate: boolean): Promise<string>;
  close(): Promise<void>;
}

/** The subject's commonName of a decoded certificate, as getpeercert() gives it. */
function commonName(cert: object | null): string {
  const subject = (cert as { subject?: [string, string][][] } | null)?.subject ?? [];
  return subject.flat().find(([key]) => key === 'commonName')?.[1] ?? 'stranger';
}

/** Starts the server. */
export async function main(options: { port?: number; host?: string } = {}): Promise<MtlsExample> {
  const certs = await exampleCertificates({ server: ['localhost', '127.0.0.1'], alice: [] });
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  context.loadCertChain(certs.files('server').certfile, certs.files('server').keyfile);
  context.verifyMode = CERT_REQUIRED; // no certificate, no connection
  context.loadVerifyLocations({ cafile: certs.caFile });

  const server = createServer({
    context,
    protocol: (_input$, socket) => of(`hello, ${commonName(socket.getpeercert())}\n`),
  });
  const { port } = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');

  async function client(withCertificate: boolean): Promise<string> {
    const ctx = createDefaultContext(Purpose.SERVER_AUTH, { cafile: certs.caFile });
    if (withCertificate)
      ctx.loadCertChain(certs.files('alice').certfile, certs.files('alice').keyfile);
    try {
      // TLS 1.3 finishes the client's handshake before the server checks its certificate:
      // the refusal arrives as an alert on the first read.
      const socket = await connect({ host: 'localhost', port, context: ctx });
      const chunks = await lastValueFrom(socket.data$.pipe(toArray()));
      return Buffer.concat(chunks).toString();
    } catch (error) {
      if (error instanceof SSLError && /CERTIFICATE_REQUIRED/.test(error.reason ?? '')) {
        throw new SSLError(
          `the server requires a client certificate and refused us (${error.reason})`,
          { library: error.library, reason: error.reason, cause: error },
        );
      }
      throw error;
    }
  }

  return {
    server,
    port,
    client,
    async close() {
      await server.close({ timeoutMs: 1_000 });
      certs.remove();
    },
  };
}

if (isMain(import.meta.url)) {
  const example = await main({ port: Number(process.env['PORT'] ?? 0) });
  console.log(`with a certificate: ${(await example.client(true)).trim()}`);
  await example.client(false).catch((error: Error) => console.log(`without: ${error.message}`));
  await example.close();
}
