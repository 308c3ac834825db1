/**
 * Live certificates for `rxtls serve` (docs/architecture.md, Live certificates): SIGHUP reloads the
 * certificate, key and CA files, and changes to them are picked up by watching them; a reload
 * that fails prints why on stderr and the server keeps serving with what it had. With
 * `--workers`, the primary relays SIGHUP to every worker (ServerCluster.reload) and each worker
 * watches the files itself.
 */
import type { Subscription } from 'rxjs';
import {
  type CredentialFiles,
  type CredentialReload,
  type CredentialReloadEvent,
  reloadCredentials,
} from '../context/credential-reload.js';
import { watchCredentials } from '../context/credential-watch.js';
import type { SSLContext } from '../context/ssl-context.js';
import type { WorkerReload } from '../endpoints/cluster/server-cluster.js';

/** One line naming what a reload put in service. */
export function reloadedLine(reload: CredentialReload): string {
  const certificates = reload.certificates.map(
    (c) =>
      `${c.subject.replace(/\n/g, ', ')} (${c.keyType}, until ${c.notAfter}, SHA-256 ${c.fingerprint256})`,
  );
  return `reloaded ${certificates.join('; ')}${reload.trustReloaded ? ' and the CA file' : ''}`;
}

/** Prints a reload on stdout, a refused one on stderr, each line starting with `prefix`. */
export function printReload(prefix: string, event: CredentialReloadEvent): void {
  if (event.kind === 'reloaded') process.stdout.write(`${prefix}: ${reloadedLine(event)}\n`);
  else process.stderr.write(`${prefix}: ${event.error.message}\n`);
}

/**
 * Reloads `context` from `files` now, printing the outcome: what SIGHUP does in one process.
 * Throws nothing: a refused reload is printed and the old certificates stay.
 */
export function reloadAndPrint(
  prefix: string,
  context: SSLContext,
  files: CredentialFiles,
): boolean {
  try {
    printReload(prefix, reloadCredentials(context, files));
    return true;
  } catch (error) {
    process.stderr.write(`${prefix}: ${(error as Error).message}\n`);
    return false;
  }
}

/** Watches the files and prints every reload; unsubscribe to stop. */
export function watchAndPrint(
  prefix: string,
  context: SSLContext,
  files: CredentialFiles,
): Subscription {
  return watchCredentials(context, files).subscribe((event) => printReload(prefix, event));
}

/**
 * Runs `reload` on every SIGHUP until the returned function is called. Signals that arrive while
 * a reload runs are folded into one more reload after it, so a storm of SIGHUPs ends with the
 * files as they were at the last one, and never runs reloads side by side.
 */
export function onSighup(reload: () => Promise<void> | void): () => void {
  let running: Promise<void> | undefined;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = Promise.resolve()
      .then(reload)
      .catch((error: unknown) => {
        process.stderr.write(`rxtls serve: SIGHUP: ${(error as Error)?.message ?? error}\n`);
      })
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  };
  process.on('SIGHUP', run);
  return () => process.off('SIGHUP', run);
}

/** Prints each worker's answer to a relayed SIGHUP. */
export function printWorkerReloads(results: readonly WorkerReload[]): void {
  for (const result of results) {
    if (result.ok) process.stdout.write(`rxtls serve: SIGHUP: worker ${result.id} reloaded\n`);
    else process.stderr.write(`rxtls serve: SIGHUP: worker ${result.id}: ${result.message}\n`);
  }
}

/**
 * One process's live certificates: SIGHUP reloads, and so does a change to the files. Returns the
 * function that stops both.
 */
export function liveCertificates(
  prefix: string,
  context: SSLContext,
  files: CredentialFiles,
): () => void {
  const off = onSighup(() => void reloadAndPrint(`${prefix}: SIGHUP`, context, files));
  const watching = watchAndPrint(`${prefix}: files changed`, context, files);
  return () => {
    off();
    watching.unsubscribe();
  };
}
