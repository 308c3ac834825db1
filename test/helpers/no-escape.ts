/**
 * Fails a test when anything escapes a connection: an `uncaughtException`, an
 * `unhandledRejection`, or an error rxjs reports through `config.onUnhandledError` (what a throwing
 * subscriber becomes). `useNoEscape(suite)` watches every test of the suite; each test then calls
 * `await noEscape.check()` at its end, which lets the timer rxjs reports on run before judging.
 */
import { config } from 'rxjs';
import type { Test } from 'uvu';

export interface NoEscape {
  /** Everything that escaped since the suite started watching. */
  readonly escaped: unknown[];
  /** Waits for rxjs's reporting timer, then throws if anything escaped (and forgets it). */
  check(): Promise<void>;
}

/** rxjs reports unhandled errors from a setTimeout(0); two turns of the timer queue pass it. */
async function timersSettle(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function useNoEscape(suite: Test): NoEscape {
  const escaped: unknown[] = [];
  const onError = (error: unknown): void => {
    escaped.push(error);
  };
  let previous: typeof config.onUnhandledError = null;
  suite.before(() => {
    process.on('uncaughtException', onError);
    process.on('unhandledRejection', onError);
    previous = config.onUnhandledError;
    config.onUnhandledError = onError;
  });
  suite.after(() => {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
    config.onUnhandledError = previous;
  });
  return {
    escaped,
    async check() {
      await timersSettle();
      if (escaped.length === 0) return;
      const list = escaped.splice(0).map(describe).join('; ');
      throw new Error(`escaped the connection: ${list}`);
    },
  };
}
