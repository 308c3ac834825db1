/**
 * runProtocol: a protocol bound to a secure stream, its classes resolved from a tsyringe container
 * so that a constructor can `@inject(SERVER_CONTEXT)`, `@inject(REACTOR)` and the application's
 * own services. The binding itself (lifecycle, backpressure) is the protocol layer's
 * bindProtocol; this is where it meets dependency injection.
 */
import { createContainer, type DependencyContainer, registerDefaults } from '../di/container.js';
import { bindProtocol, type ProtocolRun } from '../protocol/run-protocol.js';
import type { ProtocolSpec } from '../protocol/protocol.js';
import type { SSLSocket } from '../transport/stream/ssl-socket.js';

/**
 * Runs `spec` on `socket`: a Protocol class is resolved from `container` (default: a new child
 * container with rxtls's defaults, made only for a class); a function gets the decrypted input
 * and its output is written back.
 *
 * @example
 * ```ts
 * const server = createServer({ context }, (socket) => runProtocol(socket, (input$) => input$));
 * ```
 */
export function runProtocol(
  socket: SSLSocket,
  spec: ProtocolSpec,
  container?: DependencyContainer,
): ProtocolRun {
  return bindProtocol(socket, spec, (protocolClass) =>
    (container ?? registerDefaults(createContainer())).resolve(protocolClass),
  );
}
