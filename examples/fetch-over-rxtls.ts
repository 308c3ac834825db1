/**
 * undici's `fetch` over rxtls: an undici Agent whose `connect` opens an rxtls secure stream and
 * hands undici a Node Duplex of it (toNodeDuplex). The HTTP client is undici's (h2 when the server
 * agrees, `allowH2`); the TLS, the verification and the bytes on the wire are rxtls's. The target
 * is the https-server example.
 *
 * Run: node dist/examples/fetch-over-rxtls.js
 */
import type { TLSSocket } from 'node:tls';
import { Agent, fetch } from 'undici';
import { createDefaultContext } from '../src/context/default-context.js';
import { connect } from '../src/endpoints/connect.js';
import { toNodeDuplex } from '../src/protocol/node-duplex.js';
import { Purpose } from '../src/constants/ssl-constants.js';
import { isMain } from './example-certificates.js';
import { main as httpsServer } from './https-server.js';

/** An undici Agent that connects through rxtls, verifying servers against `cafile`. */
export function rxtlsAgent(cafile: string): Agent {
  const context = createDefaultContext(Purpose.SERVER_AUTH, { cafile });
  context.setAlpnProtocols(['h2', 'http/1.1']);
  return new Agent({
    allowH2: true,
    connect: (options, callback) => {
      connect({ host: options.hostname, port: Number(options.port), context }).then(
        // undici types the socket as net/tls Socket; it only uses the Duplex side of it.
        (tls) => callback(null, toNodeDuplex(tls) as unknown as TLSSocket),
        (error: Error) => callback(error, null),
      );
    },
  });
}

/** Starts the HTTPS example, fetches its page through rxtls, and returns the response text. */
export async function main(): Promise<{ status: number; body: string }> {
  const server = await httpsServer({ port: 0 });
  const agent = rxtlsAgent(server.caFile);
  try {
    const response = await fetch(`https://localhost:${server.port}/from-fetch`, {
      dispatcher: agent,
    });
    return { status: response.status, body: await response.text() };
  } finally {
    await agent.close();
    await server.close();
  }
}

if (isMain(import.meta.url)) {
  const { status, body } = await main();
  console.log(status, body.trim());
}
