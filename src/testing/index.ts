/**
 * `rxtls/testing`: what users need to test their protocols without sockets: a connected pair of
 * in-memory transports, and a pump that runs two SSLObjects against each other.
 *
 * @example
 * ```ts
 * import { memoryPipe } from 'rxtls/testing';
 * const [a, b] = memoryPipe();
 * const client = clientCtx.wrapSocket(a, { serverHostname: 'localhost' });
 * const server = serverCtx.wrapSocket(b, { serverSide: true });
 * ```
 */
export { memoryPipe } from '../transport/memory-pipe.js';
export {
  handshake,
  MAX_PUMP_ROUNDS,
  nextEvent,
  PUMP_DEADLINE_MS,
  pumpUntil,
  step,
  transfer,
} from './pump.js';
