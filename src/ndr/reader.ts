import { NdrError } from './error.js';
import type { NdrType } from './type.js';

/** Limits a decoder enforces before it trusts anything an untrusted peer says. */
export interface NdrReaderLimits {
  /** Nesting depth of constructed types (guards recursive types against stack exhaustion). */
  maxDepth: number;
}

export const DEFAULT_NDR_READER_LIMITS: NdrReaderLimits = { maxDepth: 64 };

/**
 * A cursor over one NDR stream. Integers honour the sender's data representation
 * (little- or big-endian); offsets and alignment are relative to the start of `buf`,
 * which is the start of the stub (or of a type-serialization body, or of a PDU).
 */
export class NdrReader {
  offset = 0;
  depth = 0;
  /** Full pointers met so far in this stream: each referent with the type it was sent as. */
  fullPointers: Map<number, { type: NdrType<unknown>; value: unknown }> | undefined;

  constructor(
    readonly buf: Buffer,
    /**
     * The integer byte order. Writable because a PDU names its own order in its header's
     * data representation, after the first four octets: reading that field sets it.
     */
    public littleEndian = true,
    readonly limits: NdrReaderLimits = DEFAULT_NDR_READER_LIMITS,
  ) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) {
      throw new NdrError(`stub ends early: need ${n} bytes at offset ${this.offset}, have ${this.remaining}`);
    }
  }

  align(n: number): void {
    const mis = this.offset & (n - 1);
    if (mis !== 0) {
      const pad = n - mis;
      this.need(pad);
      this.offset += pad;
    }
  }

  /**
   * Rejects a count before anything is allocated for it: `count` elements of at least
   * `minSize` bytes each must fit in what is left of the stream.
   */
  checkCount(count: number, minSize: number): void {
    const per = minSize > 0 ? minSize : 1;
    if (count > this.remaining / per) {
      throw new NdrError(`count ${count} exceeds the ${this.remaining} bytes left in the stub`);
    }
  }

  enter(): void {
    if (++this.depth > this.limits.maxDepth) throw new NdrError('types nested too deeply');
  }

  leave(): void {
    this.depth--;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.offset++]!;
  }

  i8(): number {
    this.need(1);
    return this.buf.readInt8(this.offset++);
  }

  // u16 and u32 assemble their octets themselves: need() has checked the bounds, and
  // Buffer's readUInt*() would check them again on every field of every PDU.
  u16(): number {
    this.align(2);
    this.need(2);
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 2;
    return this.littleEndian ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
  }

  i16(): number {
    this.align(2);
    this.need(2);
    const v = this.littleEndian ? this.buf.readInt16LE(this.offset) : this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.align(4);
    this.need(4);
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 4;
    return this.littleEndian
      ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000
      : b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
  }

  i32(): number {
    this.align(4);
    this.need(4);
    const v = this.littleEndian ? this.buf.readInt32LE(this.offset) : this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  u64(): bigint {
    this.align(8);
    this.need(8);
    const v = this.littleEndian ? this.buf.readBigUInt64LE(this.offset) : this.buf.readBigUInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  i64(): bigint {
    this.align(8);
    this.need(8);
    const v = this.littleEndian ? this.buf.readBigInt64LE(this.offset) : this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  f32(): number {
    this.align(4);
    this.need(4);
    const v = this.littleEndian ? this.buf.readFloatLE(this.offset) : this.buf.readFloatBE(this.offset);
    this.offset += 4;
    return v;
  }

  f64(): number {
    this.align(8);
    this.need(8);
    const v = this.littleEndian ? this.buf.readDoubleLE(this.offset) : this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** Steps over the next n bytes (checked), for a caller that reads them from `buf` itself. */
  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  /** A view (not a copy) of the next n bytes. */
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
}
