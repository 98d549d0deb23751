/**
 * RC4, a stream whose state carries over from one message to the next: NTLM seals every
 * PDU of a direction with one running keystream. node's OpenSSL 3 no longer offers RC4.
 */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > 256) throw new RangeError('RC4 key must be 1 to 256 bytes');
    const s = this.s;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      j = (j + s[k]! + key[k % key.length]!) & 0xff;
      const t = s[k]!;
      s[k] = s[j]!;
      s[j] = t;
    }
  }

  /** XORs `data` with the next keystream bytes into `out` (which may be `data` itself). */
  process(data: Uint8Array, out: Uint8Array = Buffer.allocUnsafe(data.length)): Uint8Array {
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let k = 0; k < data.length; k++) {
      i = (i + 1) & 0xff;
      const si = s[i]!;
      j = (j + si) & 0xff;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      out[k] = data[k]! ^ s[(si + sj) & 0xff]!;
    }
    this.i = i;
    this.j = j;
    return out;
  }
}

/** One-shot RC4 (key exchange, the non-ESS signature). */
export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  return Buffer.from(new Rc4(key).process(data));
}
