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

/** Writes the little-endian wire form of `g` at `out[at..at+16]`. */
export function writeGuid(out: Buffer, at: number, g: Guid): void {
  if (!GUID_RE.test(g)) throw new TypeError(`not a GUID: ${g}`);
  out.writeUInt32LE(parseInt(g.slice(0, 8), 16), at);
  out.writeUInt16LE(parseInt(g.slice(9, 13), 16), at + 4);
  out.writeUInt16LE(parseInt(g.slice(14, 18), 16), at + 6);
  out.write(g.slice(19, 23) + g.slice(24), at + 8, 'hex');
}

export function guidBytes(g: Guid): Buffer {
  const b = Buffer.alloc(16);
  writeGuid(b, 0, g);
  return b;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Reads a GUID at `at`, its first three fields in the given byte order. */
export function readGuid(buf: Buffer, at: number, littleEndian = true): Guid {
  if (at + 16 > buf.length) throw new NdrError('GUID runs past the end of the data');
  const d1 = littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
  const d2 = littleEndian ? buf.readUInt16LE(at + 4) : buf.readUInt16BE(at + 4);
  const d3 = littleEndian ? buf.readUInt16LE(at + 6) : buf.readUInt16BE(at + 6);
  const d4 = buf.toString('hex', at + 8, at + 10);
  const d5 = buf.toString('hex', at + 10, at + 16);
  return `${hex(d1, 8)}-${hex(d2, 4)}-${hex(d3, 4)}-${d4}-${d5}`;
}
