/** One 32-bit word at `o` in the stream's byte order (a Uint8Array store keeps the low 8 bits). */
function put32(b: Buffer, o: number, v: number, littleEndian: boolean): void {
  if (littleEndian) {
    b[o] = v;
    b[o + 1] = v >>> 8;
    b[o + 2] = v >>> 16;
    b[o + 3] = v >>> 24;
  } else {
    b[o] = v >>> 24;
    b[o + 1] = v >>> 16;
    b[o + 2] = v >>> 8;
    b[o + 3] = v;
  }
}

/**
 * Accumulates one NDR stream. Stubs are always little-endian with ASCII characters and IEEE
 * floats (data representation 0x10 0x00 0x00 0x00), as Windows sends; a writer made with
 * `littleEndian` false writes big-endian integers (a client testing a server's big-endian
 * path). Alignment is relative to the start of the stream; padding bytes are zero.
 */
export class NdrWriter {
  buf: Buffer;
  offset = 0;
  private nextRef = 0x00020000;

  constructor(
    initialSize = 256,
    public littleEndian = true,
  ) {
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

  /** Makes room for n more bytes at `offset` without writing them (the caller fills them and advances). */
  reserve(n: number): void {
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
    // Padding is a few octets: a loop is cheaper than fill's call into C++.
    if (n <= 16) for (let i = 0; i < n; i++) this.buf[this.offset + i] = 0;
    else this.buf.fill(0, this.offset, this.offset + n);
    this.offset += n;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.offset++] = v & 0xff;
  }

  i8(v: number): void {
    this.u8(v);
  }

  // u16 and u32 store their octets themselves (a Uint8Array store keeps the low 8 bits):
  // Buffer's writeUInt*() would check range and bounds again on every field of every PDU.
  u16(v: number): void {
    this.align(2);
    this.reserve(2);
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 2;
    if (this.littleEndian) {
      b[o] = v;
      b[o + 1] = v >>> 8;
    } else {
      b[o] = v >>> 8;
      b[o + 1] = v;
    }
  }

  i16(v: number): void {
    this.u16(v);
  }

  u32(v: number): void {
    this.align(4);
    this.reserve(4);
    const o = this.offset;
    this.offset = o + 4;
    put32(this.buf, o, v, this.littleEndian);
  }

  i32(v: number): void {
    this.u32(v);
  }

  // The two halves stored as u32 stores are: Buffer's writeBigUInt64*() checks the range
  // with BigInt comparisons first (and asUintN made a BigInt more), about twice the cost,
  // once per LONGLONG of every enumerated shadow copy and volume. `& 0xffffffffn` and the
  // shift keep the low 64 bits of a negative value as two's complement, as asUintN did.
  u64(v: bigint): void {
    this.align(8);
    this.reserve(8);
    const lo = Number(v & 0xffffffffn);
    const hi = Number((v >> 32n) & 0xffffffffn);
    const o = this.offset;
    this.offset = o + 8;
    put32(this.buf, o, this.littleEndian ? lo : hi, this.littleEndian);
    put32(this.buf, o + 4, this.littleEndian ? hi : lo, this.littleEndian);
  }

  i64(v: bigint): void {
    this.u64(v);
  }

  f32(v: number): void {
    this.align(4);
    this.reserve(4);
    if (this.littleEndian) this.buf.writeFloatLE(v, this.offset);
    else this.buf.writeFloatBE(v, this.offset);
    this.offset += 4;
  }

  f64(v: number): void {
    this.align(8);
    this.reserve(8);
    if (this.littleEndian) this.buf.writeDoubleLE(v, this.offset);
    else this.buf.writeDoubleBE(v, this.offset);
    this.offset += 8;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
  }

  /**
   * The characters of `s` and a NUL: octets (latin1, the low 8 bits of each code unit) or
   * UTF-16LE code units whatever the writer's byte order, as `[string]` arrays carry them.
   * Written here rather than through a Buffer of their own: an enumeration marshals four
   * strings per shadow copy, and a temporary Buffer for each cost more than the copy.
   */
  chars(s: string, width: 1 | 2): void {
    const n = s.length;
    this.reserve((n + 1) * width);
    const b = this.buf;
    let o = this.offset;
    if (width === 2) {
      // node's utf16le write is a call into C++ of about 70 ns whatever the length: a loop is
      // cheaper up to about 24 characters (measured), the call beyond.
      if (n > 24) o += b.write(s, o, 'utf16le');
      else
        for (let i = 0; i < n; i++, o += 2) {
          const c = s.charCodeAt(i);
          b[o] = c;
          b[o + 1] = c >>> 8;
        }
      b[o] = 0;
      b[o + 1] = 0;
      this.offset = o + 2;
      return;
    }
    if (n > 24) o += b.write(s, o, 'latin1');
    else for (let i = 0; i < n; i++) b[o++] = s.charCodeAt(i);
    b[o] = 0;
    this.offset = o + 1;
  }

  /** Overwrites a u32 already written (for lengths known only afterwards). */
  patchU32(at: number, v: number): void {
    if (this.littleEndian) this.buf.writeUInt32LE(v >>> 0, at);
    else this.buf.writeUInt32BE(v >>> 0, at);
  }

  /** The bytes written so far (a view; copy it if the writer is reused). */
  finish(): Buffer {
    // A writer sized exactly hands over its buffer as it is (one Buffer object fewer).
    return this.offset === this.buf.length ? this.buf : this.buf.subarray(0, this.offset);
  }
}
