/**
 * What a server's primary process and its workers say to each other over the IPC channel
 * (docs/architecture.md, Serving on every core). Plain JSON; every message carries `rxtls` so a
 * user's own messages on the same channel are never mistaken for ours.
 */
import type { TransportAddress } from '../../transport/transport.js';
import type { ServerStats } from '../server.js';

/** The options a worker gets from the primary: plain data only (a context cannot cross). */
export interface WorkerServerOptions {
  handshakeTimeoutMs?: number;
  idleTimeoutMs?: number;
  shutdownTimeoutMs?: number;
  maxConnections?: number;
  suppressRaggedEofs?: boolean;
  borrowedReads?: boolean;
}

/** Primary to worker. */
export type PrimaryMessage =
  | {
      readonly rxtls: 'start';
      readonly id: number;
      readonly count: number;
      readonly module: string;
      readonly data: unknown;
      readonly options: WorkerServerOptions;
      readonly host: string;
      readonly port: number;
      /** Native TCP with SO_REUSEPORT on the primary's reserved address, or net through cluster. */
      readonly tcp: 'native' | 'node';
      /** Keep Prometheus metrics (ServerMetrics) for the primary's metrics(). */
      readonly metrics: boolean;
      /** The shared ticket key ring (base64 of setTicketKeys' format), set before listening. */
      readonly ticketKeys: string | null;
    }
  /** The shared ticket key ring changed: the worker's context takes it for new handshakes. */
  | { readonly rxtls: 'ticket-keys'; readonly keys: string }
  | { readonly rxtls: 'stats'; readonly request: number }
  | { readonly rxtls: 'metrics'; readonly request: number }
  /** Run the worker's reload hook (WorkerSetup.reload): certificates changed, for instance. */
  | { readonly rxtls: 'reload'; readonly request: number }
  | { readonly rxtls: 'shutdown'; readonly timeoutMs: number };

/** Worker to primary. */
export type WorkerMessage =
  /** The worker hears messages now (a message sent before would be lost): send it 'start'. */
  | { readonly rxtls: 'ready' }
  | { readonly rxtls: 'listening'; readonly address: TransportAddress }
  | { readonly rxtls: 'failed'; readonly message: string }
  | { readonly rxtls: 'stats'; readonly request: number; readonly stats: ServerStats }
  /** prom-client's getMetricsAsJSON() of the worker's ServerMetrics (empty without metrics). */
  | { readonly rxtls: 'metrics'; readonly request: number; readonly metrics: unknown[] }
  /** The reload hook's outcome: `message` is its error's when it failed. */
  | {
      readonly rxtls: 'reloaded';
      readonly request: number;
      readonly ok: boolean;
      readonly message?: string;
    };

/** Whether an IPC message is one of ours. */
export function isClusterMessage<M extends { rxtls: string }>(message: unknown): message is M {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { rxtls?: unknown }).rxtls === 'string'
  );
}
