import { expect, it } from 'vitest';
import { randomOctets } from '../../src/dcerpc/random.js';

it('hands out values of the length asked, each its own copy, never repeated', () => {
  const seen = new Set<string>();
  const kept = randomOctets(16);
  const before = Buffer.from(kept);
  // Several refills of the 4 KiB pool.
  for (let i = 0; i < 5000; i++) {
    const v = randomOctets(16);
    expect(v.length).toBe(16);
    // A buffer of its own: nothing later drawn (or refilled) can change it.
    expect(v.buffer.byteLength).toBe(16);
    seen.add(v.toString('hex'));
  }
  expect(seen.size).toBe(5000);
  expect(kept.equals(before)).toBe(true);
  for (const n of [1, 4, 8, 1024, 1025, 10_000]) expect(randomOctets(n).length).toBe(n);
});

it('is not all zeros (the pool is filled before use)', () => {
  const v = Buffer.concat(Array.from({ length: 64 }, () => randomOctets(8)));
  expect(v.some((b) => b !== 0)).toBe(true);
});
