import { expect } from 'vitest';
import { NdrError, NdrReader, ndrDecode, ndrEncode, type NdrType, type Scope } from '../../src/ndr/index.js';

/** A hex literal with optional whitespace (used to group fields) → bytes. */
export function hex(s: string): Buffer {
  const clean = s.replace(/\s+/g, '');
  if (!/^(?:[0-9a-f]{2})*$/i.test(clean)) throw new Error(`bad hex literal: ${s}`);
  return Buffer.from(clean, 'hex');
}

/** Decodes a top-level value and checks that exactly the whole buffer was consumed. */
export function decodeAll<T>(type: NdrType<T>, buf: Buffer, littleEndian: boolean, scope?: Scope): T {
  const r = new NdrReader(buf, littleEndian);
  const partial = type.readScalars(r, scope, undefined);
  const value = type.readBuffers(r, partial, scope);
  expect(r.offset, `bytes consumed (${littleEndian ? 'LE' : 'BE'})`).toBe(buf.length);
  return value;
}

/**
 * The three assertions every byte vector gets: encode(value) is exactly `le`; `le` decodes
 * (little-endian) to value; `be` (the same layout with every integer byte-swapped) decodes
 * (big-endian) to value. Both vectors are written out by hand in the tests.
 */
export function vector<T>(type: NdrType<T>, value: T, le: string, be: string, scope?: Scope): void {
  const leBuf = hex(le);
  const beBuf = hex(be);
  expect(beBuf.length, 'BE vector has the LE layout').toBe(leBuf.length);
  expect(ndrEncode(type, value, scope).toString('hex')).toBe(leBuf.toString('hex'));
  expect(ndrDecode(type, leBuf, true, scope)).toEqual(value);
  expect(ndrDecode(type, beBuf, false, scope)).toEqual(value);
  expect(decodeAll(type, leBuf, true, scope)).toEqual(value);
  expect(decodeAll(type, beBuf, false, scope)).toEqual(value);
}

/** Decode-only vector (for wire forms the encoder never produces, e.g. aliases). */
export function decodes<T>(type: NdrType<T>, le: string, be: string, value: T, scope?: Scope): void {
  const leBuf = hex(le);
  const beBuf = hex(be);
  expect(beBuf.length).toBe(leBuf.length);
  expect(decodeAll(type, leBuf, true, scope)).toEqual(value);
  expect(decodeAll(type, beBuf, false, scope)).toEqual(value);
}

/** Runs `fn` and asserts it throws an NdrError carrying rpc_x_bad_stub_data. */
export function expectNdrError(fn: () => unknown): NdrError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected an NdrError to be thrown').toBeDefined();
  expect(thrown).toBeInstanceOf(NdrError);
  expect((thrown as NdrError).status).toBe(0x6f7);
  return thrown as NdrError;
}

/** Every strict prefix of `buf` must fail to decode with an NdrError (in the given byte order). */
export function everyPrefixFails<T>(type: NdrType<T>, buf: Buffer, littleEndian: boolean, scope?: Scope): void {
  for (let n = 0; n < buf.length; n++) {
    expectNdrError(() => ndrDecode(type, buf.subarray(0, n), littleEndian, scope));
  }
}
