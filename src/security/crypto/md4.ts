/**
 * MD4 (RFC 1320). NTLM's NT hash is MD4 of the UTF-16LE password, and node's OpenSSL 3
 * no longer offers MD4 by default, so it is written here.
 */
function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

export function md4(input: Uint8Array): Buffer {
  const bitLen = input.length * 8;
  const padded = Buffer.alloc(((input.length + 8) >> 6) * 64 + 64);
  padded.set(input);
  padded[input.length] = 0x80;
  padded.writeUInt32LE(bitLen >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(bitLen / 0x100000000), padded.length - 4);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Uint32Array(16);
  const F = (p: number, q: number, r: number) => (p & q) | (~p & r);
  const G = (p: number, q: number, r: number) => (p & q) | (p & r) | (q & r);
  const H = (p: number, q: number, r: number) => p ^ q ^ r;

  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(off + 4 * i);
    const [aa, bb, cc, dd] = [a, b, c, d];
    for (const i of [0, 4, 8, 12]) {
      a = rotl((a + F(b, c, d) + x[i]!) | 0, 3);
      d = rotl((d + F(a, b, c) + x[i + 1]!) | 0, 7);
      c = rotl((c + F(d, a, b) + x[i + 2]!) | 0, 11);
      b = rotl((b + F(c, d, a) + x[i + 3]!) | 0, 19);
    }
    for (const i of [0, 1, 2, 3]) {
      a = rotl((a + G(b, c, d) + x[i]! + 0x5a827999) | 0, 3);
      d = rotl((d + G(a, b, c) + x[i + 4]! + 0x5a827999) | 0, 5);
      c = rotl((c + G(d, a, b) + x[i + 8]! + 0x5a827999) | 0, 9);
      b = rotl((b + G(c, d, a) + x[i + 12]! + 0x5a827999) | 0, 13);
    }
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + H(b, c, d) + x[i]! + 0x6ed9eba1) | 0, 3);
      d = rotl((d + H(a, b, c) + x[i + 8]! + 0x6ed9eba1) | 0, 9);
      c = rotl((c + H(d, a, b) + x[i + 4]! + 0x6ed9eba1) | 0, 11);
      b = rotl((b + H(c, d, a) + x[i + 12]! + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = Buffer.alloc(16);
  out.writeInt32LE(a, 0);
  out.writeInt32LE(b, 4);
  out.writeInt32LE(c, 8);
  out.writeInt32LE(d, 12);
  return out;
}
