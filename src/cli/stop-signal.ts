/**
 * Waiting for Ctrl-C or a service manager's stop: the servers of `rxtls serve` and the demo
 * close gracefully (close_notify to every client) on the first SIGINT or SIGTERM.
 */

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * Resolves with the first SIGINT or SIGTERM. Until then Node's default (exit at once, no
 * close_notify) is replaced; afterwards it is restored, so a second Ctrl-C still stops a
 * shutdown that hangs.
 */
export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      for (const name of STOP_SIGNALS) process.off(name, onSignal);
      resolve(signal);
    };
    for (const name of STOP_SIGNALS) process.on(name, onSignal);
  });
}
