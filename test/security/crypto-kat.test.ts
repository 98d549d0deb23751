/**
 * Known-answer tests for the primitives NTLM is built on: MD4 (RFC 1320), RC4 (RFC 6229) and
 * single DES (FIPS 81 and MS-NLMP's LMOWFv1). Every expected value is literal hex copied from
 * the document named next to it.
 */
import { describe, expect, it } from 'vitest';
import { des7, desEncryptBlock, expandDesKey } from '../../src/security/crypto/des.js';
import { md4 } from '../../src/security/crypto/md4.js';
import { Rc4, rc4 } from '../../src/security/crypto/rc4.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('MD4 (RFC 1320, appendix A.5 "Test suite")', () => {
  // RFC 1320 A.5: the seven strings of the MD4 test suite and their digests.
  const suite: Array<[string, string]> = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  for (const [input, digest] of suite) {
    it(`MD4 ("${input.length > 20 ? `${input.slice(0, 20)}...` : input}") = ${digest}`, () => {
      expect(toHex(md4(Buffer.from(input, 'latin1')))).toBe(digest);
    });
  }

  it('accepts a Uint8Array that is not a Buffer', () => {
    // RFC 1320 A.5: MD4 ("abc") = a448017aaf21d8525fc10ae87aa6729d
    expect(toHex(md4(new Uint8Array([0x61, 0x62, 0x63])))).toBe('a448017aaf21d8525fc10ae87aa6729d');
  });
});

describe('RC4 (RFC 6229, section 2 "Test Vectors for RC4")', () => {
  // RFC 6229 section 2, each row is the 16 keystream bytes at that offset (RC4 of zeros).
  const vectors: Array<{ key: string; rows: Array<[number, string]> }> = [
    {
      // "Key length: 40 bits.  key: 0x0102030405"
      key: '0102030405',
      rows: [
        [0, 'b2 39 63 05 f0 3d c0 27 cc c3 52 4a 0a 11 18 a8'], // DEC 0 HEX 0
        [16, '69 82 94 4f 18 fc 82 d5 89 c4 03 a4 7a 0d 09 19'], // DEC 16 HEX 10
        [240, '28 cb 11 32 c9 6c e2 86 42 1d ca ad b8 b6 9e ae'], // DEC 240 HEX f0
        [256, '1c fc f6 2b 03 ed db 64 1d 77 df cf 7f 8d 8c 93'], // DEC 256 HEX 100
        [752, 'ec 10 32 7b de 2b ee fd 18 f9 27 76 80 45 7e 22'], // DEC 752 HEX 2f0
        [768, 'eb 62 63 8d 4f 0b a1 fe 9f ca 20 e0 5b f8 ff 2b'], // DEC 768 HEX 300
        [1536, 'd8 72 9d b4 18 82 25 9b ee 4f 82 53 25 f5 a1 30'], // DEC 1536 HEX 600
        [4096, 'ff 25 b5 89 95 99 67 07 e5 1f bd f0 8b 34 d8 75'], // DEC 4096 HEX 1000
      ],
    },
    {
      // "Key length: 128 bits.  key: 0x0102030405060708090a0b0c0d0e0f10"
      key: '0102030405060708090a0b0c0d0e0f10',
      rows: [
        [0, '9a c7 cc 9a 60 9d 1e f7 b2 93 28 99 cd e4 1b 97'], // DEC 0 HEX 0
        [16, '52 48 c4 95 90 14 12 6a 6e 8a 84 f1 1d 1a 9e 1c'], // DEC 16 HEX 10
        [240, '06 59 02 e4 b6 20 f6 cc 36 c8 58 9f 66 43 2f 2b'], // DEC 240 HEX f0
        [256, 'd3 9d 56 6b c6 bc e3 01 07 68 15 15 49 f3 87 3f'], // DEC 256 HEX 100
        [752, 'c5 ec f8 8d e8 97 fd 57 fe d3 01 70 1b 82 a2 59'], // DEC 752 HEX 2f0
        [768, 'ec cb e1 3d e1 fc c9 1c 11 a0 b2 6c 0b c8 fa 4d'], // DEC 768 HEX 300
        [1536, 'ff a0 b5 14 64 7e c0 4f 63 06 b8 92 ae 66 11 81'], // DEC 1536 HEX 600
        [4096, 'a3 6a 4c 30 1a e8 ac 13 61 0c cb c1 22 56 ca cc'], // DEC 4096 HEX 1000
      ],
    },
    {
      // "Key length: 256 bits.  key: 0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
      key: '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20',
      rows: [
        [0, 'ea a6 bd 25 88 0b f9 3d 3f 5d 1e 4c a2 61 1d 91'], // DEC 0 HEX 0
        [16, 'cf a4 5c 9f 7e 71 4b 54 bd fa 80 02 7c b1 43 80'], // DEC 16 HEX 10
        [768, 'e7 a7 b9 e9 ec 54 0d 5f f4 3b db 12 79 2d 1b 35'], // DEC 768 HEX 300
        [1536, '3e 34 13 5c 79 db 01 02 00 76 76 51 cf 26 30 73'], // DEC 1536 HEX 600
      ],
    },
  ];
  const streamLength = 4096 + 16;

  for (const { key, rows } of vectors) {
    const bits = (key.length / 2) * 8;

    it(`${bits}-bit key: one call over ${streamLength} bytes gives every published row`, () => {
      const stream = rc4(hex(key), Buffer.alloc(streamLength));
      for (const [offset, expected] of rows) {
        expect(toHex(stream.subarray(offset, offset + 16)), `offset ${offset}`).toBe(toHex(hex(expected)));
      }
    });

    it(`${bits}-bit key: the keystream runs on across calls of uneven sizes`, () => {
      // The same keystream, drawn through one Rc4 object in chunks that straddle the rows.
      const r = new Rc4(hex(key));
      const sizes = [1, 2, 3, 5, 7, 11, 13, 17, 250, 1, 500, 255, 256, 33, 1000, 1];
      const parts: Uint8Array[] = [];
      let drawn = 0;
      for (let i = 0; drawn < streamLength; i++) {
        const n = Math.min(sizes[i % sizes.length]!, streamLength - drawn);
        parts.push(r.process(new Uint8Array(n)));
        drawn += n;
      }
      const stream = Buffer.concat(parts);
      for (const [offset, expected] of rows) {
        expect(toHex(stream.subarray(offset, offset + 16)), `offset ${offset}`).toBe(toHex(hex(expected)));
      }
    });

    it(`${bits}-bit key: encrypts in place, and decrypting with a fresh handle restores the data`, () => {
      // RFC 6229 rows are RC4 of zero bytes; encrypting zeros in place must leave the keystream.
      const [offset, expected] = rows[rows.length - 1]!;
      const buf = Buffer.alloc(offset + 16);
      const r = new Rc4(hex(key));
      const out = r.process(buf, buf);
      expect(out).toBe(buf);
      expect(toHex(buf.subarray(offset, offset + 16))).toBe(toHex(hex(expected)));
      const back = new Rc4(hex(key)).process(buf);
      expect(Buffer.from(back).equals(Buffer.alloc(offset + 16))).toBe(true);
    });
  }

  it('rejects empty and over-long keys', () => {
    expect(() => new Rc4(new Uint8Array(0))).toThrow(RangeError);
    expect(() => new Rc4(new Uint8Array(257))).toThrow(RangeError);
  });
});

describe('DES', () => {
  it('desEncryptBlock: FIPS 81 appendix B, table B1 (ECB), key 0123456789abcdef', () => {
    // FIPS 81 table B1: "Now is the time for all " under 0123456789abcdef in ECB mode.
    const key = hex('0123456789abcdef');
    expect(toHex(desEncryptBlock(key, hex('4e6f772069732074')))).toBe('3fa40e8a984d4815'); // "Now is t"
    expect(toHex(desEncryptBlock(key, hex('68652074696d6520')))).toBe('6a271787ab8883f9'); // "he time "
    expect(toHex(desEncryptBlock(key, hex('666f7220616c6c20')))).toBe('893d51ec4b563b53'); // "for all "
  });

  it('expandDesKey spreads 56 key bits over the high seven bits of eight bytes', () => {
    // Structural: the low (parity) bit of every output byte is clear, and the 56 input bits
    // reappear, in order, as the high seven bits of the eight output bytes.
    const key7 = hex('50415353574f52'); // "PASSWOR"
    const k = expandDesKey(key7);
    expect(k.length).toBe(8);
    let bits = '';
    for (const b of key7) bits += b.toString(2).padStart(8, '0');
    let back = '';
    for (const b of k) {
      expect(b & 1).toBe(0);
      back += (b >> 1).toString(2).padStart(7, '0');
    }
    expect(back).toBe(bits);
    expect(toHex(expandDesKey(hex('ffffffffffffff')))).toBe('fefefefefefefefe');
    expect(toHex(expandDesKey(hex('00000000000000')))).toBe('0000000000000000');
  });

  it('des7 reproduces LMOWFv1("Password") (MS-NLMP 4.2.2.1.1) half by half', () => {
    // MS-NLMP 3.3.1: LMOWFv1 = DES(UpperCase(Passwd)[0..6], "KGS!@#$%") || DES(UpperCase(Passwd)[7..13], "KGS!@#$%")
    // MS-NLMP 4.2.2.1.1 LMOWFv1(): e5 2c ac 67 41 9a 9a 22 4a 3b 10 8f 3f a6 cb 6d
    const magic = Buffer.from('KGS!@#$%', 'latin1');
    const upper = Buffer.alloc(14);
    Buffer.from('PASSWORD', 'latin1').copy(upper);
    expect(toHex(des7(upper.subarray(0, 7), magic))).toBe('e52cac67419a9a22');
    expect(toHex(des7(upper.subarray(7, 14), magic))).toBe('4a3b108f3fa6cb6d');
    // And des7 is DES under the expanded key.
    expect(toHex(desEncryptBlock(expandDesKey(upper.subarray(0, 7)), magic))).toBe('e52cac67419a9a22');
  });
});
