/**
 * RC4, a stream whose state carries over from one message to the next: NTLM seals every
 * PDU of a direction with one running keystream. node's OpenSSL 3 no longer offers RC4.
 *
 * Long messages run through a WebAssembly loop (rc4-wasm.ts), twice as fast as the same
 * loop in JavaScript (measured 636 against 298 MB/s on 5,840-octet fragments): a sealed
 * enumeration spends its keystream on every octet of every fragment, in the server and in
 * the client. Short ones (a signature's checksum, a small call) stay in JavaScript, where
 * copying the state in and out would cost more than it saves. Both give the same octets.
 */
import { rc4Wasm } from './rc4-wasm.js';

/** Messages at least this long go to the WebAssembly loop. */
const WASM_FROM = 128;

export class Rc4 {
  /** S[0..255], then i and j: the layout the WebAssembly loop works on. */
  private readonly state = new Uint8Array(258);

  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > 256) throw new RangeError('RC4 key must be 1 to 256 bytes');
    const s = this.state;
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
    if (data.length >= WASM_FROM && rc4Wasm) rc4Wasm(this.state, data, out);
    else rc4Js(this.state, data, out);
    return out;
  }
}

/** The keystream loop in JavaScript over a 258-octet state (S, i, j). */
function rc4Js(s: Uint8Array, data: Uint8Array, out: Uint8Array): void {
  let i = s[256]!;
  let j = s[257]!;
  for (let k = 0; k < data.length; k++) {
    i = (i + 1) & 0xff;
    const si = s[i]!;
    j = (j + si) & 0xff;
    const sj = s[j]!;
    s[i] = sj;
    s[j] = si;
    out[k] = data[k]! ^ s[(si + sj) & 0xff]!;
  }
  s[256] = i;
  s[257] = j;
}

/** One-shot RC4 (key exchange, the non-ESS signature). */
export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  return Buffer.from(new Rc4(key).process(data));
}
