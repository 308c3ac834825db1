/**
 * `npm start`: an HTTPS server and a TLS echo server on 127.0.0.1, with development certificates
 * made under .rxtls/ on the first start (and reused afterwards). The HTTPS page shows the live
 * `reactor.stats()` and your TLS session; the echo server answers `rxtls connect`. Ctrl-C (or
 * SIGTERM) sends close_notify to every client and exits 0.
 *
 * Ports: RXTLS_HTTPS_PORT (default 8443) and RXTLS_ECHO_PORT (default 8444); 0 picks free ones.
 *
 * Run: npm start
 */
import 'reflect-metadata';
import { displayPath, ensureDevCertificates } from '../src/cli/dev-certificates.js';
import { echoStream } from '../src/cli/echo-stream.js';
import { HttpsStatusSite } from '../src/cli/https-status.js';
import { waitForStopSignal } from '../src/cli/stop-signal.js';
import { createDefaultContext, Purpose } from '../src/index.js';
import { createServer, type Server } from '../src/endpoints/server.js';
import { Reactor } from '../src/transport/stream/reactor.js';

const HOST = '127.0.0.1';
const MAX_PORT = 65_535;
/** How long a stop waits for the clients' close_notify before closing their connections. */
const STOP_TIMEOUT_MS = 5_000;

function portFromEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > MAX_PORT) {
    throw new Error(`${name} must be a port number (0-${MAX_PORT}), got '${value}'`);
  }
  return port;
}

async function listen(server: Server, port: number, variable: string): Promise<number> {
  try {
    return (await server.listen(port, HOST)).port;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    throw new Error(`port ${port} is in use: choose another with ${variable}=PORT npm start`);
  }
}

async function main(): Promise<void> {
  const httpsPort = portFromEnv('RXTLS_HTTPS_PORT', 8443);
  const echoPort = portFromEnv('RXTLS_ECHO_PORT', 8444);
  const dev = await ensureDevCertificates();

  // One context per service: the HTTPS one offers ALPN h2 and http/1.1, the echo one none.
  const httpsContext = createDefaultContext(Purpose.CLIENT_AUTH);
  httpsContext.loadCertChain(dev.cert, dev.key);
  httpsContext.setAlpnProtocols(['h2', 'http/1.1']);
  const echoContext = createDefaultContext(Purpose.CLIENT_AUTH);
  echoContext.loadCertChain(dev.cert, dev.key);

  const reactor = new Reactor(); // both servers report here: the page shows their sum
  const site = new HttpsStatusSite(httpsContext, reactor);
  const options = { reactor, shutdownTimeoutMs: STOP_TIMEOUT_MS };
  const https = createServer({ ...options, context: httpsContext }, (s) => site.accept(s));
  const echo = createServer({ ...options, context: echoContext }, echoStream);
  const servers = [https, echo];
  try {
    const boundHttps = await listen(https, httpsPort, 'RXTLS_HTTPS_PORT');
    const boundEcho = await listen(echo, echoPort, 'RXTLS_ECHO_PORT');
    const ca = displayPath(dev.ca);
    process.stdout.write(`rxtls demo
  HTTPS server:   https://localhost:${boundHttps}/ (the same as JSON: /stats.json)
  echo server:    localhost:${boundEcho}
  development CA: ${ca} (${dev.created ? 'created' : 'reused'})

Try it:
  curl --cacert ${ca} https://localhost:${boundHttps}/
  npx rxtls connect localhost:${boundEcho} --cafile ${ca}

Stop with Ctrl-C.
`);
  } catch (error) {
    await Promise.all(servers.map((server) => server.close({ timeoutMs: 0 })));
    throw error;
  }
  const signal = await waitForStopSignal();
  await Promise.all(servers.map((server) => server.close({ timeoutMs: STOP_TIMEOUT_MS })));
  const stats = reactor.stats();
  process.stdout.write(
    `${signal}: stopped after ${stats.handshakesOk} handshake(s), ${stats.bytesIn + stats.bytesOut} bytes\n`,
  );
}

try {
  await main();
} catch (error) {
  process.stderr.write(`demo: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
