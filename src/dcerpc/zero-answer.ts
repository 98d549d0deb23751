import { ndrDecode } from '../ndr/index.js';
import type { MethodDecl } from './interface.js';

/** Any property a size_is or length_is asks of the scope is 0 while the zero answer is read. */
const ZERO_SCOPE: Readonly<Record<string, unknown>> = new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? 0 : undefined) });

/**
 * A method's answer with every out-parameter as zero bytes decode (null pointers, empty
 * arrays, zero counts: what a MIDL stub sends for the out-parameters it zeroed) and its
 * return value, the last out-parameter, set to `status`. Throws when a parameter has no zero form.
 */
export function ndrZeroAnswer(method: MethodDecl, status: number): Record<string, unknown> {
  const zero: Record<string, unknown> = ndrDecode(method.response, Buffer.alloc(2 * method.response.minSize + 64), true, ZERO_SCOPE);
  const keys = Object.keys(zero);
  const last = keys[keys.length - 1];
  if (last !== undefined) zero[last] = status;
  return zero;
}
