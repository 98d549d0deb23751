import { StoreError } from '../../src/store/errors.js';

/** Counting GUIDs, so that tests can name what a store makes. */
export function countingGuids(): () => string {
  let n = 0;
  return () => `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`;
}

/** The HRESULT a call is refused with, or undefined when it succeeds. */
export function hresultOf(call: () => unknown): number | undefined {
  try {
    call();
  } catch (e) {
    if (e instanceof StoreError) return e.hresult;
    throw e;
  }
  return undefined;
}
