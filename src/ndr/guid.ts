import { NdrError } from './error.js';

/**
 * GUIDs travel as Data1 (u32), Data2 (u16), Data3 (u16), Data4 (8 bytes): the first three
 * in the sender's byte order. In TypeScript a GUID is its canonical string in lower case,
 * the one Guid type of the code. Every boundary makes it so: readGuid (NDR) writes lower
 * case, canonicalGuid / parseGuid (JSON, XML, a command line) fold it; past a boundary a
 * GUID is compared with ===.
 */
export type Guid = string;
export const GUID_NULL: Guid = '00000000-0000-0000-0000-000000000000';

/** The canonical form, in any case (what writeGuid takes). */
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The canonical form in lower case: what a Guid is past a boundary. */
const CANONICAL_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The canonical form in any case. */
export function isGuid(s: string): boolean {
  return GUID_RE.test(s);
}

/** A Guid as past a boundary: canonical and lower case. */
export function isCanonicalGuid(s: string): boolean {
  return CANONICAL_RE.test(s);
}

/**
 * A GUID a person or a document wrote: the canonical form in any case, optionally in braces
 * (as the registry and VSS's XML write it). Answers the Guid (bare, lower case), or
 * undefined when the text is not one.
 */
export function canonicalGuid(text: string): Guid | undefined {
  const bare = text.length === 38 && text.startsWith('{') && text.endsWith('}') ? text.slice(1, -1) : text;
  return GUID_RE.test(bare) ? bare.toLowerCase() : undefined;
}

/** canonicalGuid, throwing a TypeError naming the text when it is not a GUID. */
export function parseGuid(text: string): Guid {
  const g = canonicalGuid(text);
  if (g === undefined) throw new TypeError(`not a GUID: ${text}`);
  return g;
}

/** Hex digit values by character code (either case); -1 for any other character. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[0x41 + i] = HEX_VALUE[0x61 + i] = 10 + i;

/** The octet spelt by the two hex digits at `i` of `g`, or -1 when they are not two hex digits. */
function hexOctet(g: string, i: number): number {
  const a = g.charCodeAt(i);
  const b = g.charCodeAt(i + 1);
  // charCodeAt past the end is NaN: not < 128, so it too counts as "not a digit".
  const h = a < 128 ? HEX_VALUE[a]! : -1;
  const l = b < 128 ? HEX_VALUE[b]! : -1;
  return (h | l) < 0 ? -1 : (h << 4) | l;
}

/** Where each wire octet's two hex digits sit in the canonical text (Data1-3 little-endian). */
const WIRE_DIGITS = [6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34];

/**
 * Writes the little-endian wire form of `g` at `out[at..at+16]`. It reads the digits by
 * character code, checking the form as it goes (the same forms GUID_RE accepts): every
 * GUID of every shadow copy an enumeration returns passes here, and a regular expression,
 * three parseInt and a hex decode per GUID were most of the cost of encoding one.
 */
export function writeGuid(out: Buffer, at: number, g: Guid): void {
  if (g.length !== 36 || g.charCodeAt(8) !== 0x2d || g.charCodeAt(13) !== 0x2d || g.charCodeAt(18) !== 0x2d || g.charCodeAt(23) !== 0x2d) {
    throw new TypeError(`not a GUID: ${g}`);
  }
  for (let k = 0; k < 16; k++) {
    const v = hexOctet(g, WIRE_DIGITS[k]!);
    if (v < 0) throw new TypeError(`not a GUID: ${g}`);
    out[at + k] = v;
  }
}

export function guidBytes(g: Guid): Buffer {
  const b = Buffer.alloc(16);
  writeGuid(b, 0, g);
  return b;
}

/** The character codes of each octet's two lower-case hex digits. */
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HEX_HI[i] = '0123456789abcdef'.charCodeAt(i >> 4);
  HEX_LO[i] = '0123456789abcdef'.charCodeAt(i & 15);
}

/** Reads a GUID at `at`, its first three fields in the given byte order. */
export function readGuid(buf: Buffer, at: number, littleEndian = true): Guid {
  if (at + 16 > buf.length) throw new NdrError('GUID runs past the end of the data');
  // One String.fromCharCode of the 36 characters: a client decoding an enumeration reads
  // three GUIDs per shadow copy, and joining twenty pieces from a table of digit pairs made
  // a string of twenty parts (measured 290 against 90 ns), toString(16) and slices more.
  const le = littleEndian;
  const a0 = buf[le ? at + 3 : at]!;
  const a1 = buf[le ? at + 2 : at + 1]!;
  const a2 = buf[le ? at + 1 : at + 2]!;
  const a3 = buf[le ? at : at + 3]!;
  const a4 = buf[le ? at + 5 : at + 4]!;
  const a5 = buf[le ? at + 4 : at + 5]!;
  const a6 = buf[le ? at + 7 : at + 6]!;
  const a7 = buf[le ? at + 6 : at + 7]!;
  const a8 = buf[at + 8]!;
  const a9 = buf[at + 9]!;
  const a10 = buf[at + 10]!;
  const a11 = buf[at + 11]!;
  const a12 = buf[at + 12]!;
  const a13 = buf[at + 13]!;
  const a14 = buf[at + 14]!;
  const a15 = buf[at + 15]!;
  const H = HEX_HI;
  const L = HEX_LO;
  return String.fromCharCode(
    H[a0]!, L[a0]!, H[a1]!, L[a1]!, H[a2]!, L[a2]!, H[a3]!, L[a3]!, 0x2d,
    H[a4]!, L[a4]!, H[a5]!, L[a5]!, 0x2d,
    H[a6]!, L[a6]!, H[a7]!, L[a7]!, 0x2d,
    H[a8]!, L[a8]!, H[a9]!, L[a9]!, 0x2d,
    H[a10]!, L[a10]!, H[a11]!, L[a11]!, H[a12]!, L[a12]!, H[a13]!, L[a13]!, H[a14]!, L[a14]!, H[a15]!, L[a15]!,
  );
}
