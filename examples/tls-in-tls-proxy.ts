/**
 * TLS inside TLS: a proxy reached over TLS takes a CONNECT line, opens TCP to the target and
 * relays bytes; the client then runs a second TLS session, to the target, over the first. The
 * proxy sees only ciphertext of the inner session.
 *
 * Run: node dist/examples/tls-in-tls-proxy.js
 */
import { lastValueFrom, type Subscription, toArray } from 'rxjs';
import { createDefaultContext } from '../src/context/default-context.js';
import { SSLContext } from '../src/context/ssl-context.js';
import { connect } from '../src/endpoints/connect.js';
import { EchoProtocol } from '../src/protocol/echo-protocol.js';
import { createServer } from '../src/endpoints/server.js';
import { PlaintextConversation } from '../src/protocol/starttls.js';
import { PROTOCOL_TLS_SERVER, Purpose } from '../src/constants/ssl-constants.js';
import { TcpTransport } from '../src/transport/tcp-transport.js';
import type { Transport } from '../src/transport/transport.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** Where the proxy lets a tunnel go: this example only relays to the local machine. */
const ALLOWED_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** Copies `from` into `to` with backpressure, and ends `to` when `from` ends. */
function relay(from: Transport, to: Transport): Subscription {
  const drain = to.writable$.subscribe(() => from.resume());
  const data = from.data$.subscribe({
    next: (bytes) => {
      if (!to.write(bytes)) from.pause();
    },
    complete: () => to.end(),
    error: (error: unknown) => to.destroy(error as Error),
  });
  data.add(drain);
  return data;
}

/** What the tunnel client saw. */
export interface TunnelResult {
  proxyReply: string;
  outerVersion: string | null;
  innerVersion: string | null;
  echoed: string;
}

/** The proxy, the target and a client that goes through both. */
export interface ProxyExample {
  proxyPort: number;
  targetPort: number;
  client(message: string): Promise<TunnelResult>;
  close(): Promise<void>;
}

/** Starts a TLS echo target and the TLS proxy in front of it. */
export async function main(options: { port?: number } = {}): Promise<ProxyExample> {
  const certs = await exampleCertificates({
    proxy: ['localhost', '127.0.0.1'],
    target: ['localhost', '127.0.0.1'],
  });
  const contextFor = (name: string) => {
    const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
    ctx.loadCertChain(certs.files(name).certfile, certs.files(name).keyfile);
    return ctx;
  };
  const target = createServer({ context: contextFor('target'), protocol: EchoProtocol });
  const { port: targetPort } = await target.listen(0);

  const proxy = createServer({ context: contextFor('proxy') }, (outer) => {
    const talk = new PlaintextConversation(outer);
    void talk.readLine().then(
      async (line) => {
        const [, host = '', port = ''] = /^CONNECT ([^\s:]+):(\d+)/.exec(line) ?? [];
        if (!ALLOWED_HOSTS.has(host)) {
          talk.writeLine('403 Forbidden');
          await outer.close();
          return;
        }
        const upstream = await TcpTransport.connect({ host, port: Number(port) });
        talk.writeLine('200 Connection established');
        const tunnel = talk.release();
        relay(tunnel, upstream);
        relay(upstream, tunnel);
        outer.closed$.subscribe(() => upstream.destroy());
      },
      () => outer.abort(),
    );
  });
  const { port: proxyPort } = await proxy.listen(options.port ?? 0);

  async function client(message: string): Promise<TunnelResult> {
    const trust = () => createDefaultContext(Purpose.SERVER_AUTH, { cafile: certs.caFile });
    const outer = await connect({ host: 'localhost', port: proxyPort, context: trust() });
    const talk = new PlaintextConversation(outer);
    talk.writeLine(`CONNECT localhost:${targetPort}`);
    const proxyReply = await talk.readLine();
    if (!proxyReply.startsWith('200')) throw new Error(`the proxy refused: ${proxyReply}`);
    // The inner session runs over the outer secure stream: TLS inside TLS.
    const inner = await connect({
      host: 'localhost',
      port: targetPort,
      context: trust(),
      transport: talk.release(),
    });
    const echoed = lastValueFrom(inner.data$.pipe(toArray()));
    inner.write(message);
    inner.end();
    const result = {
      proxyReply,
      outerVersion: outer.version(),
      innerVersion: inner.version(),
      echoed: Buffer.concat(await echoed).toString(),
    };
    await outer.close();
    return result;
  }

  return {
    proxyPort,
    targetPort,
    client,
    async close() {
      await proxy.close({ timeoutMs: 1_000 });
      await target.close({ timeoutMs: 1_000 });
      certs.remove();
    },
  };
}

if (isMain(import.meta.url)) {
  const example = await main({ port: Number(process.env['PORT'] ?? 0) });
  const result = await example.client('hello through two layers of TLS');
  console.log(result);
  await example.close();
}
