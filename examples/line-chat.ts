/**
 * A chat room: many clients, each line a message (lines() framing), every message broadcast to
 * the others. The protocol is a function: its input is the client's lines, its output what the
 * client should see.
 *
 * Run: node dist/examples/line-chat.js   then, for each participant:
 *      npx rxtls connect localhost:<port> --cafile <CA printed at start>
 */
import { filter, lastValueFrom, Observable, ReplaySubject, Subject, toArray } from 'rxjs';
import { createDefaultContext } from '../src/context/default-context.js';
import { SSLContext } from '../src/context/ssl-context.js';
import { connect } from '../src/endpoints/connect.js';
import { lines } from '../src/protocol/framing.js';
import type { ProtocolFunction } from '../src/protocol/protocol.js';
import { createServer, type Server } from '../src/endpoints/server.js';
import { PROTOCOL_TLS_SERVER, Purpose } from '../src/constants/ssl-constants.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** The longest message accepted; a longer line ends that client's connection. */
const MAX_MESSAGE = 1024;

interface Message {
  from: number;
  text: string;
}

/** The chat protocol: one room shared by every connection of the server. */
export function chatRoom(): ProtocolFunction {
  const room = new Subject<Message>();
  let participants = 0;
  return (input$) =>
    new Observable<string>((subscriber) => {
      const me = ++participants;
      const others = room
        .pipe(filter((message) => message.from !== me))
        .subscribe((message) => subscriber.next(`user${message.from}: ${message.text}\n`));
      subscriber.next(`welcome, you are user${me}\n`);
      const mine = input$.pipe(lines({ maxLength: MAX_MESSAGE })).subscribe({
        next: (text) => room.next({ from: me, text }),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        others.unsubscribe();
        mine.unsubscribe();
      };
    });
}

/** A participant, as the example's client sees the room. */
export interface Participant {
  /** Resolves with the next line that matches. */
  next(match: RegExp): Promise<string>;
  say(text: string): void;
  /** Leaves; resolves with every line received. */
  leave(): Promise<string[]>;
}

/** A running chat server. */
export interface ChatExample {
  server: Server;
  port: number;
  join(): Promise<Participant>;
  close(): Promise<void>;
}

/** Starts the chat server. */
export async function main(options: { port?: number } = {}): Promise<ChatExample> {
  const certs = await exampleCertificates({ server: ['localhost', '127.0.0.1'] });
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  context.loadCertChain(certs.files('server').certfile, certs.files('server').keyfile);
  const server = createServer({ context, protocol: chatRoom() });
  const { port } = await server.listen(options.port ?? 0);

  async function join(): Promise<Participant> {
    const ctx = createDefaultContext(Purpose.SERVER_AUTH, { cafile: certs.caFile });
    const socket = await connect({ host: 'localhost', port, context: ctx });
    const received = new ReplaySubject<string>();
    socket.data$.pipe(lines({ maxLength: MAX_MESSAGE })).subscribe(received);
    const all = lastValueFrom(received.pipe(toArray()));
    return {
      next: (match) =>
        new Promise((resolve, reject) => {
          const sub = received.pipe(filter((line) => match.test(line))).subscribe({
            next: (line) => {
              resolve(line);
              queueMicrotask(() => sub.unsubscribe());
            },
            error: reject,
            complete: () => reject(new Error(`the room closed before a line matching ${match}`)),
          });
        }),
      say: (text) => socket.write(`${text}\n`),
      leave: async () => {
        socket.end();
        return all;
      },
    };
  }

  return {
    server,
    port,
    join,
    async close() {
      await server.close({ timeoutMs: 1_000 });
      certs.remove();
    },
  };
}

if (isMain(import.meta.url)) {
  const example = await main({ port: Number(process.env['PORT'] ?? 8445) });
  console.log(`chat on localhost:${example.port}; press Ctrl-C to stop`);
  const [alice, bob] = [await example.join(), await example.join()];
  alice.say('hello, room');
  console.log(`bob saw: ${await bob.next(/hello, room/)}`);
  await Promise.all([alice.leave(), bob.leave()]);
  const stop = () => void example.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
