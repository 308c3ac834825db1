/**
 * Policy by dependency injection: the server's context comes from a container, and one
 * registration swaps its TLS policy for every server resolved there. Mozilla Intermediate (TLS
 * 1.2 and 1.3) is rxtls's default; registering MozillaModern makes the same server TLS 1.3 only.
 *
 * Run: node dist/examples/di-policy.js
 */
import 'reflect-metadata';
import { lastValueFrom, toArray } from 'rxjs';
import { createContainer, registerDefaults } from '../src/di/container.js';
import { MozillaModern } from '../src/context/policies/mozilla.js';
import { createDefaultContext } from '../src/context/default-context.js';
import { SERVER_POLICY } from '../src/di/tokens.js';
import { connect } from '../src/endpoints/connect.js';
import { echo } from '../src/protocol/echo-protocol.js';
import { createServer, type Server } from '../src/endpoints/server.js';
import { Purpose, TLSVersion } from '../src/constants/ssl-constants.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** A running server under one policy. */
export interface PolicyExample {
  server: Server;
  port: number;
  /** Connects with a client limited to `maxVersion` (TLS 1.2 by default); resolves with the version used. */
  client(maxVersion?: TLSVersion): Promise<string | null>;
  close(): Promise<void>;
}

/** Starts the echo server under Mozilla Intermediate, or Modern when `modern` is set. */
export async function main(
  options: { modern?: boolean; port?: number } = {},
): Promise<PolicyExample> {
  const certs = await exampleCertificates({ server: ['localhost', '127.0.0.1'] });
  const container = registerDefaults(createContainer(), { certificate: certs.files('server') });
  if (options.modern) {
    // The one line that changes the policy of every server context made in this container.
    container.register(SERVER_POLICY, { useValue: new MozillaModern() });
  }
  const server = createServer({ container, protocol: echo });
  const { port } = await server.listen(options.port ?? 0);

  async function client(maxVersion: TLSVersion = TLSVersion.TLSv1_2): Promise<string | null> {
    const context = createDefaultContext(Purpose.SERVER_AUTH, { cafile: certs.caFile });
    context.maximumVersion = maxVersion;
    const socket = await connect({ host: 'localhost', port, context });
    const version = socket.version();
    const back = lastValueFrom(socket.data$.pipe(toArray()));
    socket.end();
    await back;
    return version;
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
  for (const modern of [false, true]) {
    const example = await main({ modern });
    const outcome = await example.client().then(
      (version) => `a TLS 1.2 client connects with ${version}`,
      (error: Error) => `a TLS 1.2 client is refused: ${error.message}`,
    );
    console.log(`${modern ? 'MozillaModern' : 'MozillaIntermediate'}: ${outcome}`);
    await example.close();
  }
}
