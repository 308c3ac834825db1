import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throwsA } from '../../helpers/assert-error.js';
import { MemoryBIO } from '../../../src/transport/sansio/memory-bio.js';
import { SSLError } from '../../../src/errors/errors.js';
import { python } from '../../helpers/python.js';

test('write returns the count, read drains in order, pending tracks what is left', () => {
  const bio = new MemoryBIO();
  assert.is(bio.write(Buffer.from('hello ')), 6);
  assert.is(bio.write(new Uint8Array(Buffer.from('world'))), 5);
  assert.is(bio.pending, 11);
  assert.is(bio.read(3).toString(), 'hel');
  assert.is(bio.read(5).toString(), 'lo wo');
  assert.is(bio.pending, 3);
  assert.is(bio.read().toString(), 'rld');
  assert.is(bio.read().length, 0);
  assert.is(bio.read(10).length, 0);
});

test('write copies the caller buffer, so reusing it later changes nothing', () => {
  const bio = new MemoryBIO();
  const buf = Buffer.from('abc');
  bio.write(buf);
  buf.fill(0);
  assert.is(bio.read().toString(), 'abc');
});

test('eof turns true only after writeEof and draining; writing after writeEof throws SSLError as Python', () => {
  const bio = new MemoryBIO();
  bio.write(Buffer.from('x'));
  bio.writeEof();
  assert.is(bio.eof, false);
  assert.is(bio.eofWritten, true);
  assert.throws(
    () => bio.write(Buffer.from('y')),
    (e: unknown) => e instanceof SSLError && e.message === 'cannot write() after write_eof()',
  );
  bio.read();
  assert.is(bio.eof, true);
  const py = python<[boolean, boolean, string]>(`
import ssl, json
b = ssl.MemoryBIO(); b.write(b'x'); b.write_eof(); first = b.eof; b.read()
try: b.write(b'y'); msg = ''
except ssl.SSLError as e: msg = e.args[0]
print(json.dumps([first, b.eof, msg]))`);
  assert.equal(py, [false, true, 'cannot write() after write_eof()']);
});

test('a non-bytes write is a TypeError and writes nothing', () => {
  const bio = new MemoryBIO();
  throwsA(() => bio.write('text' as unknown as Uint8Array), TypeError);
  assert.is(bio.pending, 0);
});

test('peek and unshift keep bytes in place across chunk boundaries', () => {
  const bio = new MemoryBIO();
  bio.write(Buffer.from('ab'));
  bio.write(Buffer.from('cd'));
  bio.writeOwned(Buffer.from('ef'));
  assert.is(bio.read(1).toString(), 'a');
  assert.is(bio.peek(4).toString(), 'bcde');
  assert.is(bio.pending, 5);
  bio.unshift(Buffer.from('XY'));
  assert.is(bio.read().toString(), 'XYbcdef');
});

test('written counts every byte once, however it came in, and never goes down', () => {
  const bio = new MemoryBIO();
  bio.write(Buffer.from('abc'));
  bio.writeOwned(Buffer.from('de'));
  assert.is(bio.written, 5);
  bio.read(4);
  bio.discard(1);
  assert.is(bio.written, 5, 'reading does not change it');
  bio.unshift(Buffer.from('xy'));
  assert.is(bio.written, 7, 'bytes put back count as news');
});

test('highWaterMark marks the BIO full without refusing writes; written$ fires on every write', () => {
  const bio = new MemoryBIO({ highWaterMark: 4 });
  let events = 0;
  const sub = bio.written$.subscribe(() => events++);
  bio.write(Buffer.from('abc'));
  assert.is(bio.isFull, false);
  bio.write(Buffer.from('de'));
  assert.is(bio.isFull, true);
  assert.is(bio.highWaterMark, 4);
  bio.writeEof();
  sub.unsubscribe();
  assert.is(events, 3);
  assert.is(new MemoryBIO().highWaterMark, Number.POSITIVE_INFINITY);
});

test.run();
