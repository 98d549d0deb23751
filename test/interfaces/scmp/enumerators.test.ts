/**
 * The enumerator object's rules (IVssEnumObject, MS-SCMP 3.1.2.x; IVssEnumMgmtObject,
 * 3.1.3.x), on the object itself; the same over DCOM is test/interfaces/scmp/methods.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Enumerator } from '../../../src/interfaces/scmp/enumerators.js';
import { E_INVALIDARG, IID_IVssEnumMgmtObject, S_FALSE, S_OK } from '../../../src/interfaces/scmp/types.js';

const over = (n: number) => new Enumerator<number>(IID_IVssEnumMgmtObject, Array.from({ length: n }, (_, i) => i));

describe('Next (3.1.2.1, 3.1.3.1)', () => {
  test('celt 0 is E_INVALIDARG (the table: "when parameter celt is 0"); nothing is returned and the cursor stays', () => {
    const e = over(3);
    e.next(1);
    expect(e.next(0)).toEqual({ items: [], hr: E_INVALIDARG });
    expect(e.cursor).toBe(1);
  });

  test('celt items and S_OK while there are enough; what remains and S_FALSE when fewer', () => {
    const e = over(4);
    expect(e.next(3)).toEqual({ items: [0, 1, 2], hr: S_OK });
    expect(e.next(3)).toEqual({ items: [3], hr: S_FALSE });
    expect(e.next(1)).toEqual({ items: [], hr: S_FALSE });
  });

  test('the largest ULONG celt takes what remains, no more', () => {
    const e = over(2);
    expect(e.next(0xffffffff)).toEqual({ items: [0, 1], hr: S_FALSE });
  });
});

describe('Skip (3.1.2.2, 3.1.3.2)', () => {
  // "When the server receives this message, it MUST verify that celt is greater than zero."
  test('celt 0 is E_INVALIDARG, and the cursor stays', () => {
    const e = over(3);
    e.next(1);
    expect(e.skip(0)).toBe(E_INVALIDARG);
    expect(e.cursor).toBe(1);
    expect(e.next(1)).toEqual({ items: [1], hr: S_OK });
  });

  test('celt 0 is E_INVALIDARG on an empty collection and at the end too', () => {
    expect(over(0).skip(0)).toBe(E_INVALIDARG);
    const e = over(1);
    e.skip(1);
    expect(e.skip(0)).toBe(E_INVALIDARG);
  });

  test('S_OK while there are enough; more than remain goes to the end and is S_FALSE', () => {
    const e = over(4);
    expect(e.skip(1)).toBe(S_OK);
    expect(e.skip(3)).toBe(S_OK);
    expect(e.skip(1)).toBe(S_FALSE);
    const f = over(4);
    expect(f.skip(0xffffffff)).toBe(S_FALSE);
    expect(f.cursor).toBe(4);
  });

  test('property: any celt > 0 moves the cursor by min(celt, left), S_FALSE exactly when celt > left', () => {
    fc.assert(
      fc.property(fc.nat(20), fc.nat(20), fc.integer({ min: 1, max: 0xffffffff }), (n, start, celt) => {
        const e = over(n);
        e.cursor = Math.min(start, n);
        const left = n - e.cursor;
        const hr = e.skip(celt);
        expect(hr).toBe(celt > left ? S_FALSE : S_OK);
        expect(e.cursor).toBe(n - left + Math.min(celt, left));
      }),
    );
  });
});

test('Clone keeps the position and moves on independently', () => {
  const e = over(3);
  e.next(1);
  const c = e.clone();
  expect(c.next(5)).toEqual({ items: [1, 2], hr: S_FALSE });
  expect(e.next(1)).toEqual({ items: [1], hr: S_OK });
});
