/**
 * uvu's `assert.throws(fn, X)` calls X as a predicate, so passing an Error class would pass
 * vacuously for TypeError and crash for ES classes. This asserts the class for real.
 */
import * as assert from 'uvu/assert';

// biome-ignore lint/suspicious/noExplicitAny: any constructor signature is accepted.
type ErrorClass = abstract new (...args: any[]) => Error;

/** Asserts that `fn` throws an instance of `cls` (and, if given, with a matching message). */
export function throwsA(fn: () => unknown, cls: ErrorClass, message?: string | RegExp): Error {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown !== undefined, `expected ${cls.name} to be thrown, but nothing was`);
  assert.ok(thrown instanceof cls, `expected ${cls.name}, got ${String(thrown)}`);
  const error = thrown as Error;
  if (typeof message === 'string') assert.is(error.message, message);
  else if (message) assert.match(error.message, message);
  return error;
}

/** What `promise` rejects with; fails the test if it fulfils instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
