import { createHmac } from 'node:crypto';

/**
 * MD5 (RFC 1321) in JavaScript, for one purpose: HMAC-MD5 over small messages, which NTLM
 * computes twice for every protected call. Precomputing the key's inner and outer states
 * and working in preallocated scratch space avoids what node's createHmac costs per
 * message (a native object, key setup and three allocations), which dominated signing.
 */
const T = new Int32Array(64);
for (let i = 0; i < 64; i++) T[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;
const X = new Int32Array(16);

function rotl(x: number, s: number): number {
  return (x << s) | (x >>> (32 - s));
}

function compress(st: Int32Array, b: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const o = off + 4 * i;
    X[i] = b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
  }
  let a = st[0]!;
  let bb = st[1]!;
  let c = st[2]!;
  let d = st[3]!;
  let t: number;
  for (let i = 0; i < 16; i += 4) {
    a = (bb + rotl((a + ((bb & c) | (~bb & d)) + T[i]! + X[i]!) | 0, 7)) | 0;
    d = (a + rotl((d + ((a & bb) | (~a & c)) + T[i + 1]! + X[i + 1]!) | 0, 12)) | 0;
    c = (d + rotl((c + ((d & a) | (~d & bb)) + T[i + 2]! + X[i + 2]!) | 0, 17)) | 0;
    bb = (c + rotl((bb + ((c & d) | (~c & a)) + T[i + 3]! + X[i + 3]!) | 0, 22)) | 0;
  }
  for (let i = 16; i < 32; i += 4) {
    a = (bb + rotl((a + ((bb & d) | (c & ~d)) + T[i]! + X[(5 * i + 1) & 15]!) | 0, 5)) | 0;
    d = (a + rotl((d + ((a & c) | (bb & ~c)) + T[i + 1]! + X[(5 * i + 6) & 15]!) | 0, 9)) | 0;
    c = (d + rotl((c + ((d & bb) | (a & ~bb)) + T[i + 2]! + X[(5 * i + 11) & 15]!) | 0, 14)) | 0;
    bb = (c + rotl((bb + ((c & a) | (d & ~a)) + T[i + 3]! + X[(5 * i + 16) & 15]!) | 0, 20)) | 0;
  }
  for (let i = 32; i < 48; i += 4) {
    a = (bb + rotl((a + (bb ^ c ^ d) + T[i]! + X[(3 * i + 5) & 15]!) | 0, 4)) | 0;
    d = (a + rotl((d + (a ^ bb ^ c) + T[i + 1]! + X[(3 * i + 8) & 15]!) | 0, 11)) | 0;
    c = (d + rotl((c + (d ^ a ^ bb) + T[i + 2]! + X[(3 * i + 11) & 15]!) | 0, 16)) | 0;
    bb = (c + rotl((bb + (c ^ d ^ a) + T[i + 3]! + X[(3 * i + 14) & 15]!) | 0, 23)) | 0;
  }
  for (let i = 48; i < 64; i += 4) {
    a = (bb + rotl((a + (c ^ (bb | ~d)) + T[i]! + X[(7 * i) & 15]!) | 0, 6)) | 0;
    d = (a + rotl((d + (bb ^ (a | ~c)) + T[i + 1]! + X[(7 * i + 7) & 15]!) | 0, 10)) | 0;
    c = (d + rotl((c + (a ^ (d | ~bb)) + T[i + 2]! + X[(7 * i + 14) & 15]!) | 0, 15)) | 0;
    t = (c + rotl((bb + (d ^ (c | ~a)) + T[i + 3]! + X[(7 * i + 21) & 15]!) | 0, 21)) | 0;
    bb = t;
  }
  st[0] = (st[0]! + a) | 0;
  st[1] = (st[1]! + bb) | 0;
  st[2] = (st[2]! + c) | 0;
  st[3] = (st[3]! + d) | 0;
}

const INIT = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);
const ST = new Int32Array(4);
const BLOCK = new Uint8Array(64);
const INNER_DIGEST = new Uint8Array(16);

/**
 * MD5 of `parts`, continuing from `init` after `prefix` bytes, into `out`. Uses the
 * module's scratch space: JavaScript runs it to completion, so no caller can interleave.
 */
function run(init: Int32Array, prefix: number, parts: readonly Uint8Array[], out: Uint8Array): void {
  ST.set(init);
  let used = 0;
  let length = prefix;
  for (const data of parts) {
    length += data.length;
    let at = 0;
    if (used > 0) {
      const n = Math.min(64 - used, data.length);
      BLOCK.set(data.subarray(0, n), used);
      used += n;
      at = n;
      if (used < 64) continue;
      compress(ST, BLOCK, 0);
      used = 0;
    }
    for (; at + 64 <= data.length; at += 64) compress(ST, data, at);
    if (at < data.length) {
      BLOCK.set(data.subarray(at), 0);
      used = data.length - at;
    }
  }
  BLOCK[used++] = 0x80;
  if (used > 56) {
    BLOCK.fill(0, used, 64);
    compress(ST, BLOCK, 0);
    used = 0;
  }
  BLOCK.fill(0, used, 56);
  const bits = length * 8;
  const hi = Math.floor(bits / 0x100000000);
  BLOCK[56] = bits & 0xff;
  BLOCK[57] = (bits >>> 8) & 0xff;
  BLOCK[58] = (bits >>> 16) & 0xff;
  BLOCK[59] = (bits >>> 24) & 0xff;
  BLOCK[60] = hi & 0xff;
  BLOCK[61] = (hi >>> 8) & 0xff;
  BLOCK[62] = (hi >>> 16) & 0xff;
  BLOCK[63] = (hi >>> 24) & 0xff;
  compress(ST, BLOCK, 0);
  for (let i = 0; i < 4; i++) {
    const w = ST[i]!;
    out[4 * i] = w & 0xff;
    out[4 * i + 1] = (w >>> 8) & 0xff;
    out[4 * i + 2] = (w >>> 16) & 0xff;
    out[4 * i + 3] = (w >>> 24) & 0xff;
  }
}

export function md5js(...parts: Uint8Array[]): Buffer {
  const out = Buffer.allocUnsafe(16);
  run(INIT, 0, parts, out);
  return out;
}

/**
 * Messages longer than this go to node's HMAC-MD5 (OpenSSL): past about 2 KiB its faster
 * compression outweighs what creating the native object costs, and a privacy-level
 * enumeration signs fragments of several KiB (measured: 5,840 octets take 16.8 us here,
 * 10.3 us there; 1,024 octets 3.6 us here, 4.1 us there).
 */
const NATIVE_ABOVE = 2048;

/** The padded key of an HMAC being set up (scratch: a constructor runs to completion). */
const PADDED = new Uint8Array(64);

/** HMAC-MD5 (RFC 2104) under one key, its padded-key states computed once. */
export class HmacMd5 {
  private readonly inner = new Int32Array(4);
  private readonly outer = new Int32Array(4);
  /** For the native path: the key as given (a session's keys are never changed in place). */
  private readonly key: Uint8Array;

  constructor(key: Uint8Array) {
    this.key = key;
    // A handshake sets up about a dozen of these: the pads are made in scratch space, not
    // with TypedArray.map and a new array per pad, which cost more than the hashing.
    const k = key.length > 64 ? md5js(key) : key;
    for (let i = 0; i < 64; i++) PADDED[i] = (i < k.length ? k[i]! : 0) ^ 0x36;
    this.inner.set(INIT);
    compress(this.inner, PADDED, 0);
    for (let i = 0; i < 64; i++) PADDED[i] = (i < k.length ? k[i]! : 0) ^ 0x5c;
    this.outer.set(INIT);
    compress(this.outer, PADDED, 0);
  }

  /** HMAC over the concatenation of `parts`, into `out` (16 bytes). */
  macInto(parts: readonly Uint8Array[], out: Uint8Array): void {
    let length = 0;
    for (let i = 0; i < parts.length; i++) length += parts[i]!.length;
    if (length > NATIVE_ABOVE) {
      const h = createHmac('md5', this.key);
      for (let i = 0; i < parts.length; i++) h.update(parts[i]!);
      out.set(h.digest());
      return;
    }
    run(this.inner, 64, parts, INNER_DIGEST);
    run(this.outer, 64, [INNER_DIGEST], out);
  }

  mac(...parts: Uint8Array[]): Buffer {
    const out = Buffer.allocUnsafe(16);
    this.macInto(parts, out);
    return out;
  }
}
