/**
 * The x509-limbo corpus's SERVER cases through rxtls and through python3 (test/helpers/limbo.ts):
 * the same load-time refusals, the same handshake outcome, the same verify code. On the native
 * engine every case must agree; the node engine's known differences are listed below with their
 * reason (README, Hardening: x509-limbo results).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultEngineKind } from '../../src/transport/engines/engines.js';
import {
  type LimboOutcome,
  limboServerCases,
  pythonOutcomes,
  rxtlsOutcome,
} from '../helpers/limbo.js';
import { useNoEscape } from '../helpers/no-escape.js';

const noEscape = useNoEscape(test);

/**
 * Cases where the node engine (node:tls) cannot conclude what OpenSSL does, and why. Each must
 * still differ: a case that starts agreeing is taken off the list.
 */
const NODE_DIFFERENCES: Record<string, string> = {
  // Node exposes one verification error per chain, the last OpenSSL's callback saw; the engine
  // puts the ones it can recognise in OpenSSL's order, but not these.
  'pathological::pathological-chain-same-subject-distinct-key':
    'Node reports 7 (certificate signature failure); OpenSSL stops first at 19 (self-signed in chain)',
  'rfc5280::intermediate-ca-without-ca-bit':
    'Node reports 26 (unsuitable purpose); OpenSSL stops first at 79 (invalid CA certificate)',
};

const describe = (o: LimboOutcome | undefined): string =>
  o === undefined
    ? 'nothing'
    : `${o.stage}: ${o.result}${o.code !== undefined ? ` ${o.code}` : ''}${o.reason ? ` ${o.reason}` : ''}`;

test('every x509-limbo SERVER case ends as it does in Python', async () => {
  const { runnable } = limboServerCases();
  assert.ok(runnable.length > 150, `the corpus holds ${runnable.length} runnable SERVER cases`);
  const expected = pythonOutcomes(runnable);
  const engine = defaultEngineKind();
  const differences: string[] = [];
  const known: string[] = [];
  for (const c of runnable) {
    const ours = await rxtlsOutcome(c);
    const theirs = expected[c.id];
    const same = describe(ours) === describe(theirs);
    const listed = engine === 'node' && NODE_DIFFERENCES[c.id] !== undefined;
    if (listed) {
      if (same) differences.push(`${c.id}: listed as a node difference but agrees now`);
      else known.push(c.id);
    } else if (!same) {
      differences.push(`${c.id}: rxtls ${describe(ours)}, python ${describe(theirs)}`);
    }
  }
  assert.equal(differences, [], differences.join('\n'));
  if (engine === 'node') assert.equal(known.sort(), Object.keys(NODE_DIFFERENCES).sort());
  await noEscape.check();
});

test.run();
