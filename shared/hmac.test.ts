// HmacSha256 against node:crypto: the same digest for random keys (shorter and longer than a block)
// and messages of every length around the padding boundaries, any Unicode included.

import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HmacSha256 } from './hmac.js';

const reference = (key: Buffer, message: string) => createHmac('sha256', key).update(message, 'utf8').digest();

describe('HmacSha256', () => {
  it('equals node:crypto for random keys and messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 150 }),
        fc.array(fc.string({ unit: 'binary', maxLength: 400 }), { minLength: 1, maxLength: 5 }),
        (key, messages) => {
          const h = new HmacSha256(Buffer.from(key));
          for (const m of messages) expect(h.digest(m).toString('hex')).toBe(reference(Buffer.from(key), m).toString('hex'));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('equals node:crypto at every message length from 0 to 300 bytes, and for one of 100 kB', () => {
    const key = Buffer.from('test-privacy-secret-0123456789abcdef');
    const h = new HmacSha256(key);
    for (let n = 0; n <= 300; n++) {
      const m = 'x'.repeat(n);
      expect(h.digest(m).equals(reference(key, m)), `${n} bytes`).toBe(true);
    }
    const long = 'é'.repeat(50_000);
    expect(h.digest(long).equals(reference(key, long))).toBe(true);
    expect(h.digest('abc').equals(reference(key, 'abc'))).toBe(true);
  });

  it('gives the RFC 4231 test vectors', () => {
    // Test case 2 and test case 6 (a key longer than a block).
    expect(new HmacSha256(Buffer.from('Jefe')).digest('what do ya want for nothing?').toString('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(new HmacSha256(Buffer.alloc(131, 0xaa)).digest('Test Using Larger Than Block-Size Key - Hash Key First').toString('hex')).toBe(
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    );
  });
});
