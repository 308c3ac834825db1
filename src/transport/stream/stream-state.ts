/**
 * A secure stream's state: four small machines, each changed only through {@link StreamState.to},
 * which checks the machine's table (as asyncio's sslproto checks `_set_state`) and throws on a
 * move the table does not list. docs/architecture.md, "The stream's state", has the same table.
 *
 * The stream's life (public as `SSLSocket.state`):
 *
 *   handshaking --handshake ok--> open --close() / peer's end--> flushing --writes encrypted--> closing
 *        |   \                     |  \                             |                             |
 *        |    +-- closing ---------+   +-- closing (no writes) -----+                             |
 *        +-----------------+-------+--------- error / abort / transport gone ---------------------+--> closed
 *
 *   `flushing`: our close_notify waits for the writes queued before it; `closing`: it is out (or
 *   going out) and the peer's is awaited, up to the shutdown timeout.
 *
 * What the peer sent:   sending --close_notify read--> close-notify
 *                          |------EOF taken as the end--> eof
 *                          +------stream closed first---> abandoned (nothing more is read)
 *
 * Our side of TLS:      open --unwrap() called (our close_notify queued)--> close-notify-sent
 *
 * The transport:        open --its data$ completed (its EOF)--> ended
 */

/** The life of a secure stream. */
export type SecureStreamState = 'handshaking' | 'open' | 'flushing' | 'closing' | 'closed';
/** What the peer has sent: whether it is done, and how. */
export type PeerState = 'sending' | 'close-notify' | 'eof' | 'abandoned';
/** Whether our close_notify has been queued (by the engine's unwrap). */
export type OurState = 'open' | 'close-notify-sent';
/** Whether the transport underneath has ended its input (its data$ completed: the peer's FIN). */
export type TransportState = 'open' | 'ended';

/** The states of each machine, by machine. */
export interface StreamMachines {
  stream: SecureStreamState;
  peer: PeerState;
  ours: OurState;
  transport: TransportState;
}

type Table<S extends string> = Readonly<Record<S, readonly S[]>>;

/** Every allowed move, by machine and state: the only source of truth for {@link StreamState.to}. */
export const STREAM_TRANSITIONS: {
  readonly [M in keyof StreamMachines]: Table<StreamMachines[M]>;
} = Object.freeze({
  stream: {
    handshaking: ['open', 'flushing', 'closing', 'closed'],
    open: ['flushing', 'closing', 'closed'],
    flushing: ['closing', 'closed'],
    closing: ['closed'],
    closed: [],
  },
  peer: {
    sending: ['close-notify', 'eof', 'abandoned'],
    'close-notify': [],
    eof: [],
    abandoned: [],
  },
  ours: {
    open: ['close-notify-sent'],
    'close-notify-sent': [],
  },
  transport: {
    open: ['ended'],
    ended: [],
  },
});

/** The four machines of one stream. */
export class StreamState {
  readonly #now: StreamMachines;

  constructor(initial: Partial<StreamMachines> = {}) {
    this.#now = {
      stream: 'handshaking',
      peer: 'sending',
      ours: 'open',
      transport: 'open',
      ...initial,
    };
  }

  get stream(): SecureStreamState {
    return this.#now.stream;
  }

  get peer(): PeerState {
    return this.#now.peer;
  }

  get ours(): OurState {
    return this.#now.ours;
  }

  get transport(): TransportState {
    return this.#now.transport;
  }

  /** Whether the peer is done: no more plaintext will be read (its end, or the stream's). */
  get peerDone(): boolean {
    return this.#now.peer !== 'sending';
  }

  /**
   * The one guarded transition: moves `machine` to `next`, or throws if its table does not allow
   * the move. Moving to the state it is in does nothing.
   */
  to<M extends keyof StreamMachines>(machine: M, next: StreamMachines[M]): void {
    const current = this.#now[machine];
    if (current === next) return;
    const allowed = STREAM_TRANSITIONS[machine][current] as readonly StreamMachines[M][];
    if (!allowed.includes(next)) {
      throw new Error(`SSLSocket: cannot switch ${machine} state from ${current} to ${next}`);
    }
    this.#now[machine] = next;
  }
}
