/**
 * The shortest useful server: TLS echo with EchoProtocol, on a certificate generated at start
 * (or yours: CERTFILE/KEYFILE).
 *
 * Run: node dist/examples/echo-server.js    (PORT, HOST, CERTFILE, KEYFILE from the environment)
 * Try: node dist/examples/echo-client.js    (with PORT and CAFILE as printed)
 */
import { SSLContext } from '../src/context/ssl-context.js';
import { EchoProtocol } from '../src/protocol/echo-protocol.js';
import { createServer, type Server } from '../src/endpoints/server.js';
import { PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import { type ExampleCertificates, exampleCertificates, isMain } from './example-certificates.js';

/** Options of {@link main}. */
export interface EchoServerOptions {
  port?: number;
  host?: string;
  /** Your certificate; without it one for localhost is generated. */
  certfile?: string;
  keyfile?: string;
}

/** A running echo server. */
export interface EchoServer {
  server: Server;
  port: number;
  /** The CA that issued the generated certificate (undefined with your own). */
  caFile: string | undefined;
  close(): Promise<void>;
}

/** Starts the echo server. */
export async function main(options: EchoServerOptions = {}): Promise<EchoServer> {
  let certs: ExampleCertificates | undefined;
  let { certfile, keyfile } = options;
  if (!certfile) {
    certs = await exampleCertificates({ server: ['localhost', '127.0.0.1'] });
    ({ certfile, keyfile } = certs.files('server'));
  }
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  context.loadCertChain(certfile, keyfile);

  const server = createServer({ context, protocol: EchoProtocol });
  const { port } = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    server,
    port,
    caFile: certs?.caFile,
    async close() {
      await server.close({ timeoutMs: 1_000 });
      certs?.remove();
    },
  };
}

if (isMain(import.meta.url)) {
  const env = process.env;
  const running = await main({
    port: Number(env['PORT'] ?? 8444),
    host: env['HOST'] ?? '127.0.0.1',
    ...(env['CERTFILE'] ? { certfile: env['CERTFILE'], keyfile: env['KEYFILE'] } : {}),
  });
  console.log(`echo server listening on 127.0.0.1:${running.port}`);
  if (running.caFile) console.log(`CA: ${running.caFile}`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
