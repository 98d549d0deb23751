/**
 * The bench's in-process enumeration figure (bench/enumeration-work.ts) runs the server's
 * and the client's code on the same octets: it must really seal, unseal and decode (it
 * throws when a fragment does not verify or an answer does not decode), and its sizes must
 * be those of the wire's Next answers.
 */
import { expect, test } from 'vitest';
import { enumerationWork } from '../../bench/enumeration-work.js';

test('four stages timed over real sealed Next answers of 64 copies', () => {
  const w = enumerationWork(16);
  // 64 copies per answer, each about 450 octets with its four strings, plus headers and verifiers.
  expect(w.octetsPer1000ShadowCopies).toBeGreaterThan(400_000);
  expect(w.octetsPer1000ShadowCopies).toBeLessThan(500_000);
  const ms = w.msPer1000ShadowCopies;
  for (const stage of [ms.encode, ms.seal, ms.unseal, ms.decode]) expect(stage).toBeGreaterThan(0);
  expect(ms.total).toBeCloseTo(ms.encode + ms.seal + ms.unseal + ms.decode, 1);
});
