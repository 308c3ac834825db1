/**
 * Fuzzing settings (fast-check): a fixed seed and a modest number of runs in CI, so every run
 * checks the same inputs; RXTLS_FUZZ_SEED and RXTLS_FUZZ_RUNS explore further
 * (`RXTLS_FUZZ_SEED=$RANDOM RXTLS_FUZZ_RUNS=5000 node scripts/test-engines.js hardening/fuzz`).
 * A failure prints its seed and path, which replay it exactly.
 */
import fc from 'fast-check';

/** The seed CI uses. */
export const DEFAULT_FUZZ_SEED = 20261206;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number.parseInt(raw, 10);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, not ${raw}`);
  return value;
}

/** fast-check parameters: the seed, and `runs` unless RXTLS_FUZZ_RUNS says otherwise. */
export function fuzzParameters(runs: number): { seed: number; numRuns: number } {
  return {
    seed: envInt('RXTLS_FUZZ_SEED', DEFAULT_FUZZ_SEED),
    numRuns: envInt('RXTLS_FUZZ_RUNS', runs),
  };
}

/** One change to a byte string: the ways a damaged or hostile encoding differs from a real one. */
export type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'length'; at: number; value: number }
  | { kind: 'nest'; at: number; span: number }
  | { kind: 'unnest'; at: number };

/** Positions are fractions of the input's length, so one mutation fits inputs of any size. */
export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('length' as const),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('nest' as const),
    at: fc.nat(),
    span: fc.integer({ min: 0, max: 120 }),
  }),
  fc.record({ kind: fc.constant('unnest' as const), at: fc.nat() }),
);

/** Offsets of DER constructed headers (SEQUENCE, SET, context tags) with a length byte after. */
function headers(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i++) {
    const tag = bytes[i]!;
    if (tag === 0x30 || tag === 0x31 || (tag & 0xe0) === 0xa0) out.push(i);
  }
  return out;
}

/** Applies `m` to `input` (a copy is returned). */
export function mutate(input: Buffer, m: Mutation): Buffer {
  if (input.length === 0) return Buffer.from(input);
  const at = m.at % input.length;
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(input);
      out[at] = out[at]! ^ m.xor;
      return out;
    }
    case 'truncate':
      return Buffer.from(input.subarray(0, at));
    case 'length': {
      // A constructed header's length octet set to another value.
      const found = headers(input);
      const out = Buffer.from(input);
      if (found.length === 0) return out;
      out[found[m.at % found.length]! + 1] = m.value;
      return out;
    }
    case 'nest': {
      // A span wrapped in one more SEQUENCE (short-form length).
      const span = Math.min(m.span, input.length - at, 127);
      const inner = input.subarray(at, at + span);
      return Buffer.concat([
        input.subarray(0, at),
        Buffer.from([0x30, span]),
        inner,
        input.subarray(at + span),
      ]);
    }
    case 'unnest': {
      // A constructed header (tag and short length) removed, its content left in place.
      const found = headers(input);
      if (found.length === 0) return Buffer.from(input);
      const h = found[m.at % found.length]!;
      return Buffer.concat([input.subarray(0, h), input.subarray(h + 2)]);
    }
  }
}

/** Applies mutations in turn. */
export function mutateAll(input: Buffer, mutations: readonly Mutation[]): Buffer {
  return mutations.reduce((bytes, m) => mutate(bytes, m), input);
}

/** The class of what a call threw ('ok' if it returned): what is compared with Python. */
export function outcomeClass(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.constructor.name : typeof error;
  }
}
