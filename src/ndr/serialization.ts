import { NdrError } from './error.js';
import { NdrReader } from './reader.js';
import type { NdrType } from './type.js';
import { NdrWriter } from './writer.js';

/**
 * NDR type serialization version 1 (MS-RPCE 2.2.6): a common header (version 1,
 * endianness, header length 8, filler 0xcccccccc), a private header (object buffer length,
 * filler 0), then the type marshalled as a top-level value, padded to a multiple of 8.
 * DCOM's activation properties use it.
 */
export const TYPE_SERIALIZATION_HEADER_SIZE = 16;

export function serializeType1<T>(type: NdrType<T>, value: T): Buffer {
  const body = new NdrWriter(256);
  type.writeScalars(body, value, undefined, false);
  type.writeBuffers(body, value, undefined);
  body.align(8);
  const data = body.finish();
  const out = Buffer.allocUnsafe(TYPE_SERIALIZATION_HEADER_SIZE + data.length);
  out[0] = 1; // version
  out[1] = 0x10; // little-endian
  out.writeUInt16LE(8, 2);
  out.writeUInt32LE(0xcccccccc, 4);
  out.writeUInt32LE(data.length, 8);
  out.writeUInt32LE(0, 12);
  data.copy(out, 16);
  return out;
}

export interface Deserialized<T> {
  value: T;
  /** Bytes consumed: both headers and the object buffer. */
  size: number;
}

export function deserializeType1<T>(type: NdrType<T>, buf: Buffer): Deserialized<T> {
  if (buf.length < TYPE_SERIALIZATION_HEADER_SIZE) throw new NdrError('type serialization header truncated');
  if (buf[0] !== 1) throw new NdrError(`type serialization version ${buf[0]} is not 1`);
  const endian = buf[1];
  if (endian !== 0x10 && endian !== 0x00) throw new NdrError(`type serialization endianness 0x${endian!.toString(16)}`);
  const little = endian === 0x10;
  const hdrLen = little ? buf.readUInt16LE(2) : buf.readUInt16BE(2);
  if (hdrLen !== 8) throw new NdrError(`common header length ${hdrLen} is not 8`);
  const len = little ? buf.readUInt32LE(8) : buf.readUInt32BE(8);
  if (len > buf.length - TYPE_SERIALIZATION_HEADER_SIZE) throw new NdrError('object buffer length exceeds the data');
  const r = new NdrReader(buf.subarray(16, 16 + len), little);
  const partial = type.readScalars(r, undefined, undefined);
  const value = type.readBuffers(r, partial, undefined);
  return { value, size: TYPE_SERIALIZATION_HEADER_SIZE + len };
}
