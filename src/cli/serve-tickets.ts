/**
 * `rxtls serve --ticket-store`: where the server's session ticket keys are kept and rotated
 * (docs/architecture.md, Session tickets). `memory` (the default) keeps the ring in this process,
 * shared by its workers; `redis://HOST:PORT[/DB]` shares it with every server naming that Redis.
 * Rotation: the library's defaults (a new key every 12 hours, 4 kept). The store's problems are
 * printed on stderr, never a key.
 */
import { filter, firstValueFrom, type Observable, type Subscription, share } from 'rxjs';
import { RedisTicketKeyStore } from '../context/session-tickets/redis-ticket-key-store.js';
import {
  rotateTicketKeys,
  type TicketKeyEvent,
  type TicketKeyTarget,
} from '../context/session-tickets/ticket-key-rotation.js';
import {
  MemoryTicketKeyStore,
  type TicketKeyStore,
} from '../context/session-tickets/ticket-key-store.js';

/** The store `--ticket-store` names (already checked by settings()). */
export function ticketStoreFor(setting: string): TicketKeyStore {
  return setting === 'memory'
    ? new MemoryTicketKeyStore()
    : new RedisTicketKeyStore({ url: setting });
}

/** Prints each warning of a rotation on stderr. */
export function logTicketKeyEvents(events$: Observable<TicketKeyEvent>): Subscription {
  return events$.subscribe((event) => {
    if (event.type === 'warning') process.stderr.write(`rxtls serve: ${event.message}\n`);
  });
}

/**
 * Rotates a single-process server's keys with `store` until unsubscribed; `ready` resolves once
 * the first ring is applied (the store's, or the in-process one when the store is down), so the
 * server listens with the shared keys from its first connection.
 */
export function rotateServerTicketKeys(
  target: TicketKeyTarget,
  store: TicketKeyStore,
): { subscription: Subscription; ready: Promise<unknown> } {
  const events$ = rotateTicketKeys(target, { store }).pipe(share());
  const ready = firstValueFrom(events$.pipe(filter((event) => event.type === 'applied')));
  return { subscription: logTicketKeyEvents(events$), ready };
}

/** The start line that says where the keys are. */
export function ticketStoreLine(setting: string): string {
  return setting === 'memory'
    ? 'session tickets: keys in this process (a new key every 12 h, 4 kept)'
    : `session tickets: keys shared through ${setting} (a new key every 12 h, 4 kept)`;
}
