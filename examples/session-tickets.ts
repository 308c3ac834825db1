/**
 * Session resumption across servers: two echo servers (think: two machines behind a load
 * balancer) keep their ticket keys in one store, so a session one of them issued resumes on the
 * other. The store is in-process here; pass a redis:// URL (REDIS_URL) to share it through Redis,
 * as servers on separate machines would.
 *
 * Run: node dist/examples/session-tickets.js    (REDIS_URL=redis://127.0.0.1:6379 to use Redis)
 */
import { firstValueFrom, ReplaySubject } from 'rxjs';
import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import { RedisTicketKeyStore } from '../src/context/session-tickets/redis-ticket-key-store.js';
import {
  rotateTicketKeys,
  type TicketKeyEvent,
} from '../src/context/session-tickets/ticket-key-rotation.js';
import {
  MemoryTicketKeyStore,
  type TicketKeyStore,
} from '../src/context/session-tickets/ticket-key-store.js';
import { SSLContext } from '../src/context/ssl-context.js';
import { connect } from '../src/endpoints/connect.js';
import { createServer } from '../src/endpoints/server.js';
import { EchoProtocol } from '../src/protocol/echo-protocol.js';
import type { SSLSession } from '../src/transport/sansio/ssl-object.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** Options of {@link main}. */
export interface SessionTicketsOptions {
  /** Share the keys through this Redis instead of an in-process store. */
  redisUrl?: string;
}

/** What happened: the first connection is new, the second resumes on the other server. */
export interface SessionTicketsResult {
  firstReused: boolean;
  secondReused: boolean;
}

export async function main(options: SessionTicketsOptions = {}): Promise<SessionTicketsResult> {
  const certs = await exampleCertificates({ server: ['localhost'] });
  const store: TicketKeyStore = options.redisUrl
    ? new RedisTicketKeyStore({ url: options.redisUrl, name: 'example' })
    : new MemoryTicketKeyStore();
  const { certfile, keyfile } = certs.files('server');
  const servers = [1, 2].map(() => {
    const context = new SSLContext(PROTOCOL_TLS_SERVER);
    context.loadCertChain(certfile, keyfile);
    context.sessionIdContext = 'example-echo'; // one name for the whole service
    // Each server keeps its ring in step with the store: a new key every 12 hours, 4 kept.
    const events = new ReplaySubject<TicketKeyEvent>(1);
    const rotation = rotateTicketKeys(context, { store }).subscribe(events);
    return { events, rotation, server: createServer({ context, protocol: EchoProtocol }) };
  });
  try {
    // Listen once each server has the store's ring.
    await Promise.all(servers.map(({ events }) => firstValueFrom(events)));
    const ports = await Promise.all(servers.map(({ server }) => server.listen(0)));
    const client = new SSLContext(PROTOCOL_TLS_CLIENT);
    client.loadVerifyLocations({ cafile: certs.caFile });
    const visit = async (port: number, session: SSLSession | null) => {
      const socket = await connect({ host: 'localhost', port, context: client, session });
      socket.write('hello'); // the echo comes after the TLS 1.3 tickets
      await firstValueFrom(socket.data$);
      const result = { reused: socket.sessionReused, session: socket.session };
      await socket.close();
      return result;
    };
    const first = await visit(ports[0]?.port as number, null);
    const second = await visit(ports[1]?.port as number, first.session);
    return { firstReused: first.reused, secondReused: second.reused };
  } finally {
    for (const { rotation } of servers) rotation.unsubscribe();
    await Promise.all(servers.map(({ server }) => server.close({ timeoutMs: 1_000 })));
    await store.close();
    certs.remove();
  }
}

if (isMain(import.meta.url)) {
  const redisUrl = process.env['REDIS_URL'];
  const result = await main(redisUrl ? { redisUrl } : {});
  console.log(`first connection resumed: ${result.firstReused}`);
  console.log(`second connection, on the other server, resumed: ${result.secondReused}`);
}
