/**
 * The JavaScript MD5 and HMAC-MD5 that NTLM signs every PDU with: the published test
 * vectors (RFC 1321 appendix A.5, RFC 2202 section 2), literal hex, then node's OpenSSL
 * implementation as the oracle for random data split at random places.
 */
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HmacMd5, md5js } from '../../src/security/crypto/md5.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('md5js: RFC 1321 appendix A.5 "Test suite"', () => {
  const suite: Array<[string, string]> = [
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
  ];
  for (const [input, digest] of suite) {
    it(`MD5 ("${input.length > 20 ? `${input.slice(0, 20)}...` : input}") = ${digest}`, () => {
      expect(toHex(md5js(ascii(input)))).toBe(digest);
    });
  }

  it('gives the same digest however the input is cut into parts', () => {
    const msg = ascii(suite[6]![0]);
    for (let cut = 0; cut <= msg.length; cut++) {
      expect(toHex(md5js(msg.subarray(0, cut), msg.subarray(cut)))).toBe(suite[6]![1]);
    }
    // Empty parts anywhere, and one byte at a time.
    expect(toHex(md5js(new Uint8Array(0), ascii('ab'), new Uint8Array(0), ascii('c'), new Uint8Array(0)))).toBe(suite[2]![1]);
    expect(toHex(md5js(...[...msg].map((b) => Uint8Array.of(b))))).toBe(suite[6]![1]);
    expect(toHex(md5js())).toBe(suite[0]![1]);
  });

  it('pads correctly at every length around the block and length-field boundaries', () => {
    for (let n = 0; n <= 200; n++) {
      const data = Buffer.alloc(n, n & 0xff);
      expect(toHex(md5js(data)), `length ${n}`).toBe(createHash('md5').update(data).digest('hex'));
    }
  });

  it('reads a Uint8Array view at a byte offset, not its whole buffer', () => {
    const backing = new Uint8Array(300).map((_, i) => i & 0xff);
    const view = new Uint8Array(backing.buffer, 7, 150);
    expect(toHex(md5js(view))).toBe(createHash('md5').update(view).digest('hex'));
  });
});

describe('HmacMd5: RFC 2202 section 2, test cases for HMAC-MD5', () => {
  const cases: Array<{ n: number; key: Buffer; data: Buffer; digest: string }> = [
    { n: 1, key: hex('0b'.repeat(16)), data: ascii('Hi There'), digest: '9294727a3638bb1c13f48ef8158bfc9d' },
    { n: 2, key: ascii('Jefe'), data: ascii('what do ya want for nothing?'), digest: '750c783e6ab0b503eaa86e310a5db738' },
    { n: 3, key: hex('aa'.repeat(16)), data: hex('dd'.repeat(50)), digest: '56be34521d144c88dbb8c733f0e8b3f6' },
    { n: 4, key: hex('0102030405060708090a0b0c0d0e0f10111213141516171819'), data: hex('cd'.repeat(50)), digest: '697eaf0aca3a3aea3a75164746ffaa79' },
    { n: 5, key: hex('0c'.repeat(16)), data: ascii('Test With Truncation'), digest: '56461ef2342edc00f9bab995690efd4c' },
    { n: 6, key: hex('aa'.repeat(80)), data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'), digest: '6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd' },
    {
      n: 7,
      key: hex('aa'.repeat(80)),
      data: ascii('Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data'),
      digest: '6f630fad67cda0ee1fb1f562db3aa53e',
    },
  ];
  for (const c of cases) {
    it(`test case ${c.n} (key of ${c.key.length} bytes, data of ${c.data.length})`, () => {
      expect(toHex(new HmacMd5(c.key).mac(c.data))).toBe(c.digest);
    });
  }

  it('test case 5, digest-96: the first 12 bytes are 56461ef2342edc00f9bab995', () => {
    expect(toHex(new HmacMd5(cases[4]!.key).mac(cases[4]!.data).subarray(0, 12))).toBe('56461ef2342edc00f9bab995');
  });

  it('one instance serves many messages, and instances under other keys do not disturb it', () => {
    const h1 = new HmacMd5(cases[0]!.key);
    const h2 = new HmacMd5(cases[1]!.key);
    for (let i = 0; i < 3; i++) {
      expect(toHex(h1.mac(cases[0]!.data))).toBe(cases[0]!.digest);
      expect(toHex(h2.mac(cases[1]!.data))).toBe(cases[1]!.digest);
    }
  });

  it('macInto writes into the caller\'s buffer, and parts concatenate', () => {
    const out = new Uint8Array(20).fill(0xee);
    new HmacMd5(cases[1]!.key).macInto([ascii('what do ya '), ascii('want for nothing?')], out.subarray(2, 18));
    expect(toHex(out.subarray(2, 18))).toBe(cases[1]!.digest);
    expect([out[0], out[1], out[18], out[19]]).toEqual([0xee, 0xee, 0xee, 0xee]);
  });
});

describe('md5js and HmacMd5 agree with node:crypto', () => {
  /** Data of 0..300 bytes and the places to cut it into parts (each part may be empty). */
  const split = fc
    .tuple(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat({ max: 300 }), { maxLength: 8 }))
    .map(([data, cuts]) => {
      const at = cuts.map((c) => c % (data.length + 1)).sort((a, b) => a - b);
      const parts: Uint8Array[] = [];
      let prev = 0;
      for (const c of at) {
        parts.push(data.subarray(prev, c));
        prev = c;
      }
      parts.push(data.subarray(prev));
      return { data, parts };
    });

  it('MD5 of random data in random parts', () => {
    fc.assert(
      fc.property(split, ({ data, parts }) => {
        expect(toHex(md5js(...parts))).toBe(createHash('md5').update(data).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('HMAC-MD5 under random keys of 0..100 bytes (longer than the 64-byte block too)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), split, (key, { data, parts }) => {
        const expected = createHmac('md5', key).update(data).digest('hex');
        const h = new HmacMd5(key);
        expect(toHex(h.mac(...parts))).toBe(expected);
        // The precomputed key states are not consumed by a message.
        expect(toHex(h.mac(data))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keys of exactly 63, 64 and 65 bytes', () => {
    for (const n of [0, 1, 63, 64, 65, 100]) {
      const key = Buffer.alloc(n, 0x5a);
      expect(toHex(new HmacMd5(key).mac(ascii('x')))).toBe(createHmac('md5', key).update('x').digest('hex'));
    }
  });
});
