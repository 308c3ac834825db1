/**
 * The client of echo-server.ts: connects with verification on (trusting the example's CA),
 * sends a message, ends its side, and prints what came back.
 *
 * Run: PORT=8444 CAFILE=/tmp/rxtls-example-.../ca.pem node dist/examples/echo-client.js "hello"
 */
import { lastValueFrom, toArray } from 'rxjs';
import { createDefaultContext } from '../src/context/default-context.js';
import { connect } from '../src/endpoints/connect.js';
import { Purpose } from '../src/constants/ssl-constants.js';
import { isMain } from './example-certificates.js';

/** Options of {@link main}. */
export interface EchoClientOptions {
  host?: string;
  port: number;
  /** The CA to trust; without it, the system's trust store. */
  caFile?: string;
  message?: string;
}

/** Sends `message` and resolves with the echo once the server closed its side. */
export async function main(
  options: EchoClientOptions,
): Promise<{ reply: string; close(): Promise<void> }> {
  const context = createDefaultContext(
    Purpose.SERVER_AUTH,
    options.caFile ? { cafile: options.caFile } : {},
  );
  const socket = await connect({ host: options.host ?? 'localhost', port: options.port, context });
  const reply = lastValueFrom(socket.data$.pipe(toArray()));
  socket.write(options.message ?? 'hello, rxtls');
  socket.end(); // close_notify: the echo server answers with its own after the echo
  const text = Buffer.concat(await reply).toString();
  return { reply: text, close: () => socket.close() };
}

if (isMain(import.meta.url)) {
  const env = process.env;
  const { reply } = await main({
    host: env['HOST'] ?? 'localhost',
    port: Number(env['PORT'] ?? 8444),
    ...(env['CAFILE'] ? { caFile: env['CAFILE'] } : {}),
    message: process.argv[2] ?? 'hello, rxtls',
  });
  console.log(reply);
}
