import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UnicodeError, ValueError } from '../../src/errors/errors.js';
import { idnaEncode } from '../../src/x509/idna.js';
import { python } from '../helpers/python.js';

/** Names whose encoding (or refusal) Python's idna codec decides, each for a reason. */
const NAMES = [
  '',
  'localhost',
  'A.Example', // ASCII labels keep their case
  'x.', // a trailing dot is no empty label
  '.',
  '.x',
  'a..b',
  'a'.repeat(63),
  'a'.repeat(64),
  `${'a'.repeat(64)}.example`,
  'a b\x7f', // ASCII passes whatever it holds (_ssl refuses NUL, not the codec)
  'a\x00b',
  'bücher.example',
  'Bücher.Example', // nameprep lowers a non-ASCII label only
  'straße.de', // ß folds to ss
  'ΣΊΣΥΦΟΣ.gr', // final sigma folds to σ
  'ＡＢＣ．ｃｏｍ', // fullwidth letters and dot: NFKC
  'a。b', // an ideographic full stop separates labels
  'ü。com',
  'ü.',
  '℡.com',
  'a\u00adü.com', // soft hyphen: mapped to nothing
  '\u00ad.com', // ...so the label is empty
  'a\u3000b.com', // an ideographic space becomes a space, which nameprep allows
  'ab\u2ff0.com', // prohibited (C.7)
  '\ue000.com', // private use (C.3)
  'ü\u0080', // a control (C.2.2)
  'אב.com',
  'אa.com', // right-to-left with left-to-right letters
  'א1.com', // right-to-left not at both ends
  'xn--ü.com',
  'ü'.repeat(58),
  '例え.jp',
  'İstanbul.com',
  'ıi.com', // dotless i has no folding in nameprep
  '😀.com',
  'ǅ.com',
];

test("idnaEncode() is Python 3.11's str.encode('idna'), results and errors alike", () => {
  const expected = python<[string, string][]>(
    `
import json, sys
out = []
for name in json.load(sys.stdin):
    try:
        out.append(['ok', name.encode('idna').decode('ascii')])
    except UnicodeError as e:
        out.append([type(e).__name__, str(e)])
print(json.dumps(out))`,
    NAMES,
  );
  NAMES.forEach((name, i) => {
    let got: [string, string];
    try {
      got = ['ok', idnaEncode(name)];
    } catch (error) {
      assert.instance(error, UnicodeError);
      assert.instance(error, ValueError, 'UnicodeError is a ValueError, as in Python');
      got = [(error as Error).name, (error as Error).message];
    }
    assert.equal(got, expected[i], JSON.stringify(name));
  });
});

test.run();
