/**
 * RC4's two loops (JavaScript below 128 octets, WebAssembly from there: src/security/crypto/
 * rc4-wasm.ts) share one handle's state: any mix of message sizes gives the keystream one
 * pass gives, and the pass is checked against a plain RC4 written here.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { Rc4 } from '../../src/security/crypto/rc4.js';
import { rc4Wasm } from '../../src/security/crypto/rc4-wasm.js';

/** Textbook RC4 (the reference the handle must agree with). */
function plainRc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  const s = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = new Uint8Array(data.length);
  for (let k = 0, i = 0, j = 0; k < data.length; k++) {
    i = (i + 1) & 255;
    j = (j + s[i]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[k] = data[k]! ^ s[(s[i]! + s[j]!) & 255]!;
  }
  return out;
}

it('WebAssembly is there (else only the JavaScript loop would be tested)', () => {
  expect(typeof rc4Wasm).toBe('function');
});

it('any split of a message into pieces, small and large, gives the textbook keystream', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
      fc.array(fc.oneof(fc.nat(127), fc.integer({ min: 128, max: 70_000 })), { minLength: 1, maxLength: 6 }),
      (key, sizes) => {
        const total = sizes.reduce((a, b) => a + b, 0);
        const data = new Uint8Array(total).map((_, i) => (i * 31 + 7) & 255);
        const h = new Rc4(key);
        const pieces: Uint8Array[] = [];
        let at = 0;
        for (const n of sizes) {
          pieces.push(h.process(data.subarray(at, at + n)));
          at += n;
        }
        expect(Buffer.concat(pieces).equals(Buffer.from(plainRc4(key, data)))).toBe(true);
      },
    ),
    { numRuns: 60 },
  );
});
