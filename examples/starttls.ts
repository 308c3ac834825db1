/**
 * STARTTLS, SMTP style: the server greets in plaintext, answers EHLO, and upgrades the same TCP
 * connection to TLS on STARTTLS; the rest of the conversation is encrypted and framed by lines().
 *
 * Run: node dist/examples/starttls.js
 */
import net from 'node:net';
import { lastValueFrom, map, takeWhile, toArray } from 'rxjs';
import { createDefaultContext } from '../src/context/default-context.js';
import { SSLContext } from '../src/context/ssl-context.js';
import { lines } from '../src/protocol/framing.js';
import { runProtocol } from '../src/endpoints/run-protocol.js';
import { acceptStartTls, negotiateStartTls } from '../src/protocol/starttls.js';
import { PROTOCOL_TLS_SERVER, Purpose } from '../src/constants/ssl-constants.js';
import type { SSLSocket } from '../src/transport/stream/ssl-socket.js';
import { TcpTransport } from '../src/transport/tcp-transport.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** SMTP's longest command line (RFC 5321). */
const MAX_LINE = 512;

/** A running SMTP-like server. */
export interface StartTlsExample {
  port: number;
  /** Greets, upgrades, sends `commands` over TLS; resolves with the TLS version and the replies. */
  client(commands: string[]): Promise<{ version: string | null; replies: string[] }>;
  close(): Promise<void>;
}

/** The encrypted part: one reply per command until QUIT, then a graceful close. */
function mailSession(tls: SSLSocket): void {
  runProtocol(tls, (input$) =>
    input$.pipe(
      lines({ maxLength: MAX_LINE }),
      takeWhile((command) => command.toUpperCase() !== 'QUIT', true),
      map((command) =>
        command.toUpperCase() === 'QUIT' ? '221 bye\r\n' : `250 ok (encrypted): ${command}\r\n`,
      ),
    ),
  );
}

/** Starts the server. */
export async function main(options: { port?: number } = {}): Promise<StartTlsExample> {
  const certs = await exampleCertificates({ server: ['localhost', '127.0.0.1'] });
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  context.loadCertChain(certs.files('server').certfile, certs.files('server').keyfile);

  const open = new Set<TcpTransport>();
  const tcp = net.createServer({ pauseOnConnect: true }, (socket) => {
    const transport = new TcpTransport(socket);
    open.add(transport);
    transport.closed$.subscribe(() => open.delete(transport));
    acceptStartTls(transport, context, {
      greeting: '220 mail.example.test ESMTP rxtls',
      answer: (line) => (/^EHLO /i.test(line) ? '250 STARTTLS' : '530 STARTTLS first'),
    }).then(mailSession, () => undefined); // a refused negotiation has closed the connection
  });
  await new Promise<void>((resolve) => tcp.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = tcp.address() as net.AddressInfo;

  async function client(commands: string[]) {
    const ctx = createDefaultContext(Purpose.SERVER_AUTH, { cafile: certs.caFile });
    const plain = await TcpTransport.connect({ host: '127.0.0.1', port });
    const tls = await negotiateStartTls(plain, ctx, {
      serverHostname: 'localhost',
      before: ['EHLO client.example.test'],
    });
    const replies = lastValueFrom(tls.data$.pipe(lines({ maxLength: MAX_LINE }), toArray()));
    for (const command of commands) tls.write(`${command}\r\n`);
    return { version: tls.version(), replies: await replies };
  }

  return {
    port,
    client,
    async close() {
      for (const transport of open) transport.destroy();
      await new Promise((resolve) => tcp.close(resolve));
      certs.remove();
    },
  };
}

if (isMain(import.meta.url)) {
  const example = await main({ port: Number(process.env['PORT'] ?? 0) });
  const { version, replies } = await example.client(['MAIL FROM:<a@example.test>', 'QUIT']);
  console.log(`upgraded to ${version}`);
  for (const reply of replies) console.log(reply);
  await example.close();
}
