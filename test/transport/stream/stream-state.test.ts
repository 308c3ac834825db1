/**
 * The stream's state machines (src/transport/stream/stream-state.ts): every move its tables allow
 * succeeds, every other move between two different states is refused with the machine, the states
 * and nothing changed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  STREAM_TRANSITIONS,
  type StreamMachines,
  StreamState,
} from '../../../src/transport/stream/stream-state.js';

type Machine = keyof StreamMachines;
const MACHINES = Object.keys(STREAM_TRANSITIONS) as Machine[];

function statesOf(machine: Machine): string[] {
  return Object.keys(STREAM_TRANSITIONS[machine]);
}

test('a new stream is handshaking, its peer sending, our side and the transport open', () => {
  const state = new StreamState();
  assert.equal(
    [state.stream, state.peer, state.ours, state.transport, state.peerDone],
    ['handshaking', 'sending', 'open', 'open', false],
  );
});

test('every move a table lists is allowed, and every other move is refused', () => {
  let allowed = 0;
  let refused = 0;
  for (const machine of MACHINES) {
    const table = STREAM_TRANSITIONS[machine] as Record<string, readonly string[]>;
    for (const from of statesOf(machine)) {
      for (const to of statesOf(machine)) {
        const state = new StreamState({ [machine]: from } as Partial<StreamMachines>);
        const move = () => state.to(machine, to as never);
        if (from === to || table[from]?.includes(to)) {
          move();
          assert.is(state[machine], to, `${machine}: ${from} -> ${to}`);
          if (from !== to) allowed += 1;
        } else {
          assert.throws(
            move,
            (error: Error) =>
              error.message === `SSLSocket: cannot switch ${machine} state from ${from} to ${to}`,
            `${machine}: ${from} -> ${to} should be refused`,
          );
          assert.is(state[machine], from, `${machine} stays ${from} after a refused move`);
          refused += 1;
        }
      }
    }
  }
  // The tables as drawn in stream-state.ts's header: 10 stream moves of 20, 3 peer moves of 12,
  // 1 of 2 of ours, 1 of 2 of the transport's.
  assert.is(allowed, 15);
  assert.is(refused, 21);
});

test('the peer is done in every state but sending; closed is final for the stream', () => {
  for (const peer of statesOf('peer')) {
    const state = new StreamState({ peer } as Partial<StreamMachines>);
    assert.is(state.peerDone, peer !== 'sending', peer);
  }
  assert.equal(STREAM_TRANSITIONS.stream.closed, []);
  for (const from of statesOf('stream').filter((s) => s !== 'closed')) {
    assert.ok(
      (STREAM_TRANSITIONS.stream as Record<string, readonly string[]>)[from]?.includes('closed'),
      `${from} can close`,
    );
  }
});

test.run();
