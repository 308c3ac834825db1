import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  pyDecimalValue,
  pyHead,
  pyInt,
  pyIsSpace,
  pyLower,
  pyRepr,
  pyRstrip,
} from '../../src/x509/py-str.js';
import { python } from '../helpers/python.js';

const UNICODE_LIMIT = 0x110000;

/** Code points around every place where Unicode 14 and Node's Unicode may disagree, and more. */
function sampleCodePoints(): number[] {
  const points = new Set<number>();
  for (let cp = 0; cp < 0x400; cp++) points.add(cp);
  for (let cp = 0x2000; cp < 0x2070; cp++) points.add(cp);
  for (let cp = 0xd7f0; cp < 0xe010; cp++) points.add(cp);
  for (const cp of [0x3000, 0xfeff, 0xfffd, 0xffff, 0x10000, 0x1f600, 0xe0001, 0xf0000, 0x10ffff]) {
    points.add(cp);
  }
  // Every code point Node and Python 3.11 classify differently, with its neighbours.
  for (let cp = 0; cp < UNICODE_LIMIT - 1; cp++) {
    if (
      cp % 0x1000 === 0x41 ||
      /\p{Cn}/u.test(String.fromCodePoint(cp)) !== /\p{Cn}/u.test(String.fromCodePoint(cp + 1))
    ) {
      points.add(cp);
      points.add(cp + 1);
    }
  }
  return [...points].filter((cp) => cp < UNICODE_LIMIT).sort((a, b) => a - b);
}

test('pyRepr quotes every sampled code point as Python 3.11 repr() does', () => {
  const points = sampleCodePoints();
  const texts = points.map((cp) => String.fromCodePoint(cp));
  texts.push("it's", 'say "hi"', 'both \' and "', 'back\\slash', '', 'a\tb\nc\rd', 'x\u{1f600}y');
  const expected = python<string[]>(
    'import json, sys\nprint(json.dumps([repr(t) for t in json.load(sys.stdin)]))',
    texts,
  );
  const mismatches = texts.flatMap((text, index) =>
    pyRepr(text) === expected[index]
      ? []
      : [`${JSON.stringify(text)}: ${pyRepr(text)} vs ${expected[index]}`],
  );
  assert.equal(mismatches, []);
});

test('pyLower, pyRstrip, pyIsSpace and pyDecimalValue agree with Python 3.11', () => {
  const words = [
    'ABC',
    'ΣΑΣ',
    'ΣΑΣ.ΟΔΟΣ',
    'İSTANBUL',
    'STRAßE',
    '\u212aELVIN',
    'Ǆ',
    `A\u{1e900}Σ`,
    `Σ\u{16ea0}Σ`,
  ];
  const spaces = Array.from({ length: 0x3001 }, (_, cp) => cp);
  const [lowered, stripped, spaceSet, digits] = python<
    [string[], string, number[], [number, number][]]
  >(
    `import json, sys
words, spaces = json.load(sys.stdin)
print(json.dumps([[w.lower() for w in words], ('x' + ''.join(map(chr, spaces))).rstrip(),
  [c for c in spaces if chr(c).isspace()],
  [[c, int(chr(c))] for c in range(0x110000) if chr(c).isdecimal()]]))`,
    [words, spaces],
  );
  assert.equal(words.map(pyLower), lowered);
  assert.is(pyRstrip(`x${String.fromCodePoint(...spaces)}`), stripped);
  assert.equal(spaces.filter(pyIsSpace), spaceSet);
  const decimal = new Map(digits);
  const wrong: number[] = [];
  for (let cp = 0; cp < UNICODE_LIMIT; cp++) {
    if (pyDecimalValue(cp) !== (decimal.get(cp) ?? -1)) wrong.push(cp);
  }
  assert.equal(wrong, []);
});

test('pyHead counts code points and pyInt reads any decimal digits', () => {
  assert.is(pyHead('\u{1f600}ab', 2), '\u{1f600}a');
  assert.is(pyHead('ab', 5), 'ab');
  assert.is(pyInt(' 7'), 7);
  assert.is(pyInt('\u0662\u0660\uff11\u{1d7ea}'), 2018);
});

test.run();
