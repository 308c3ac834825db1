/**
 * Watching a context's certificate, key, CA and CRL files and reloading them when they change
 * (docs/architecture.md, Live certificates). The directories are watched, not the files: certbot
 * and Kubernetes replace files by renaming new ones into place (or by swapping a symlinked
 * directory), which a watch on the old file would never see. Events are debounced, and a reload
 * runs only when the files' bytes differ from the last ones tried, so a writer's several steps
 * cost one reload, and a half-written file that was refused is tried again once it changes.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, readdirSync, readFileSync, statSync, watch } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Observable } from 'rxjs';
import {
  type CredentialFiles,
  credentialFilePaths,
  CredentialReloadError,
  type CredentialReloadEvent,
  reloadCredentials,
} from './credential-reload.js';
import type { SSLContext } from './ssl-context.js';

export interface WatchCredentialsOptions {
  /** Quiet time after the last file event before reloading, ms (default 200). */
  readonly debounceMs?: number;
}

const DEFAULT_DEBOUNCE_MS = 200;

/** The bytes of every file, hashed (an unreadable file counts as its error). */
function digestOf(paths: readonly string[]): string {
  const hash = createHash('sha256');
  for (const path of paths) {
    try {
      const stat = statSync(path);
      hash.update(
        stat.isDirectory() ? `${path}:${readdirSync(path).join('/')}` : readFileSync(path),
      );
    } catch (error) {
      hash.update(`error:${(error as NodeJS.ErrnoException).code ?? 'unknown'}`);
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * Reloads `context` from `files` whenever they change, for new handshakes only, and emits each
 * reload or refused reload as a value (the observable never errors: a refused file keeps the old
 * material in service and the next change is tried again). Unsubscribing stops the watching.
 *
 * @example
 * ```ts
 * watchCredentials(context, { certs: [{ certfile, keyfile }] }).subscribe((event) => {
 *   if (event.kind === 'failed') console.error(event.error.message);
 * });
 * ```
 */
export function watchCredentials(
  context: SSLContext,
  files: CredentialFiles,
  options: WatchCredentialsOptions = {},
): Observable<CredentialReloadEvent> {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  return new Observable<CredentialReloadEvent>((subscriber) => {
    const paths = credentialFilePaths(files).map((path) => resolve(path));
    // What the context serves now came from these bytes: only a change is worth a reload.
    let tried = digestOf(paths);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = () => {
      timer = undefined;
      const digest = digestOf(paths);
      if (digest === tried) return;
      tried = digest;
      try {
        subscriber.next(reloadCredentials(context, files));
      } catch (error) {
        const failure =
          error instanceof CredentialReloadError
            ? error
            : new CredentialReloadError(paths.join(', '), String(error), error);
        subscriber.next({ kind: 'failed', files: paths, error: failure });
      }
    };
    const schedule = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(check, debounceMs);
    };
    const watchers: FSWatcher[] = [];
    const dirs = new Set(paths.map((path) => dirname(path)));
    if (files.capath) dirs.add(resolve(files.capath)); // its entries change, not the directory
    for (const dir of dirs) {
      try {
        const watcher = watch(dir, { persistent: true }, schedule);
        watcher.on('error', (error) => {
          const failure = new CredentialReloadError(dir, `cannot watch: ${error.message}`, error);
          subscriber.next({ kind: 'failed', files: paths, error: failure });
        });
        watchers.push(watcher);
      } catch (error) {
        const failure = new CredentialReloadError(
          dir,
          `cannot watch: ${(error as Error).message}`,
          error,
        );
        subscriber.next({ kind: 'failed', files: paths, error: failure });
      }
    }
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    };
  });
}
