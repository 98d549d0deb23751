/**
 * Accumulates one NDR stream. Output is always little-endian with ASCII characters and IEEE
 * floats (data representation 0x10 0x00 0x00 0x00), as Windows sends. Alignment is relative
 * to the start of the stream; padding bytes are zero.
 */
export class NdrWriter {
  buf: Buffer;
  offset = 0;
  private nextRef = 0x00020000;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /**
   * Referent ids as Windows' NDR engine hands them out: 0x00020000 and up in steps of 4.
   * Peers must treat them as opaque, but matching them keeps captures comparable.
   */
  referentId(): number {
    const id = this.nextRef;
    this.nextRef += 4;
    return id;
  }

  private reserve(n: number): void {
    const need = this.offset + n;
    if (need <= this.buf.length) return;
    let size = Math.max(this.buf.length * 2, 64);
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  align(n: number): void {
    const mis = this.offset & (n - 1);
    if (mis !== 0) this.zeros(n - mis);
  }

  zeros(n: number): void {
    this.reserve(n);
    this.buf.fill(0, this.offset, this.offset + n);
    this.offset += n;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.offset++] = v & 0xff;
  }

  i8(v: number): void {
    this.u8(v);
  }

  u16(v: number): void {
    this.align(2);
    this.reserve(2);
    this.buf.writeUInt16LE(v & 0xffff, this.offset);
    this.offset += 2;
  }

  i16(v: number): void {
    this.u16(v);
  }

  u32(v: number): void {
    this.align(4);
    this.reserve(4);
    this.buf.writeUInt32LE(v >>> 0, this.offset);
    this.offset += 4;
  }

  i32(v: number): void {
    this.u32(v);
  }

  u64(v: bigint): void {
    this.align(8);
    this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.offset);
    this.offset += 8;
  }

  i64(v: bigint): void {
    this.u64(v);
  }

  f32(v: number): void {
    this.align(4);
    this.reserve(4);
    this.buf.writeFloatLE(v, this.offset);
    this.offset += 4;
  }

  f64(v: number): void {
    this.align(8);
    this.reserve(8);
    this.buf.writeDoubleLE(v, this.offset);
    this.offset += 8;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
  }

  /** Overwrites a u32 already written (for lengths known only afterwards). */
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32LE(v >>> 0, at);
  }

  /** The bytes written so far (a view; copy it if the writer is reused). */
  finish(): Buffer {
    return this.buf.subarray(0, this.offset);
  }
}
