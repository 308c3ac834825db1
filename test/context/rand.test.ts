import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsA } from '../helpers/assert-error.js';
import { randAdd, randBytes, randStatus } from '../../src/context/rand.js';
import { ValueError } from '../../src/errors/errors.js';

test('randBytes returns n fresh random bytes as a Buffer', () => {
  const a = randBytes(32);
  const b = randBytes(32);
  assert.ok(Buffer.isBuffer(a));
  assert.is(a.length, 32);
  assert.not.equal(a, b);
  assert.is(randBytes(0).length, 0);
});

test('randBytes rejects negative counts with ValueError and non-integers with TypeError, as Python', () => {
  assert.throws(
    () => randBytes(-1),
    (e: unknown) => e instanceof ValueError && e.message === 'num must be positive',
  );
  throwsA(() => randBytes('a' as unknown as number), TypeError);
  throwsA(() => randBytes(1.5), TypeError);
});

test('randStatus is true and randAdd accepts str or bytes and checks its arguments', () => {
  assert.is(randStatus(), true);
  randAdd('seed', 1.0);
  randAdd(new Uint8Array([1, 2, 3]), 0.5);
  assert.throws(() => randAdd(1 as unknown as string, 1), /bytes-like object is required/);
  assert.throws(() => randAdd('x', 'y' as unknown as number), /must be real number/);
});

test.run();
