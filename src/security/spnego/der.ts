/**
 * The part of ASN.1 DER (ITU-T X.690) that SPNEGO tokens are built from: identifier
 * octets with low tag numbers, definite lengths of up to four octets, and the handful of
 * universal types RFC 4178 and MS-SPNG use. Nothing more, so that there is little to get
 * wrong when a hostile peer writes the bytes.
 *
 * The reader is strict DER: an indefinite length, a length in more octets than it needs,
 * a constructed OCTET STRING and every other BER-only liberty is a SpnegoError. Windows
 * encodes minimally (see the captured tokens in the tests), and a single canonical form is
 * what keeps `mechTypesDer` (the bytes a mechListMIC signs) unambiguous.
 *
 * Nothing is allocated from a length before that length has been checked against the bytes
 * actually there, and constructed types can be entered only MAX_DEPTH levels deep.
 */
import { SpnegoError } from './error.js';

/** Identifier octets, wire names from X.680 / X.690 8.1.2 (class, constructed bit, number). */
export const TAG = {
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OBJECT_IDENTIFIER: 0x06,
  ENUMERATED: 0x0a,
  GeneralString: 0x1b,
  SEQUENCE: 0x30,
  /** [APPLICATION 0], the GSS-API InitialContextToken (RFC 2743 section 3.1). */
  APPLICATION_0: 0x60,
} as const;

const CONSTRUCTED = 0x20;
const CLASS_MASK = 0xc0;
const CONTEXT_CLASS = 0x80;

/** [n] EXPLICIT: context-specific and constructed, as every SPNEGO field tag is. */
export function contextTag(n: number): number {
  return CONTEXT_CLASS | CONSTRUCTED | n;
}

/** Deeper than any real token (the deepest SPNEGO path is five levels). */
export const MAX_DEPTH = 16;

/** Four length octets already reach 4 GiB; nothing longer can be a token. */
const MAX_LENGTH_OCTETS = 4;

/** A 128-bit UUID arc (OID 2.25.x) takes 19 octets; more is not an identifier. */
const MAX_SUBIDENTIFIER_OCTETS = 20;

/** One TLV as found: views into the input, so copy what must outlive it. */
export interface DerElement {
  readonly tag: number;
  /** The contents octets. */
  readonly content: Buffer;
  /** Identifier, length and contents octets: the element exactly as encoded. */
  readonly encoded: Buffer;
  /** Nesting depth of the reader that found it. */
  readonly depth: number;
}

function hex2(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/** A cursor over the elements of one constructed value (or of a whole token). */
export class DerReader {
  private offset = 0;

  constructor(
    private readonly buf: Buffer,
    readonly depth = 0,
  ) {
    if (depth > MAX_DEPTH) throw new SpnegoError(`DER nested deeper than ${MAX_DEPTH} levels`);
  }

  get done(): boolean {
    return this.offset >= this.buf.length;
  }

  /** The next identifier octet, or undefined at the end. */
  peekTag(): number | undefined {
    return this.done ? undefined : this.buf[this.offset];
  }

  /** Reads the next element whatever its tag; `what` names it in errors. */
  next(what: string): DerElement {
    const buf = this.buf;
    const start = this.offset;
    if (start >= buf.length) throw new SpnegoError(`${what}: missing`);
    const tag = buf[start]!;
    if ((tag & 0x1f) === 0x1f) {
      throw new SpnegoError(`${what}: high tag number form (${hex2(tag)}) is not used by SPNEGO`);
    }
    let pos = start + 1;
    if (pos >= buf.length) throw new SpnegoError(`${what}: length octets missing`);
    const first = buf[pos++]!;
    let length: number;
    if (first < 0x80) {
      length = first;
    } else if (first === 0x80) {
      throw new SpnegoError(`${what}: indefinite length is not DER`);
    } else {
      const n = first & 0x7f;
      if (n > MAX_LENGTH_OCTETS) throw new SpnegoError(`${what}: ${n} length octets is more than any token needs`);
      if (n > buf.length - pos) throw new SpnegoError(`${what}: length octets cut short`);
      if (buf[pos] === 0) throw new SpnegoError(`${what}: length has leading zero octets (not DER)`);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + buf[pos + i]!;
      pos += n;
      if (length < 0x80) throw new SpnegoError(`${what}: length ${length} must use the short form in DER`);
    }
    if (length > buf.length - pos) {
      throw new SpnegoError(`${what}: length ${length} runs past the end (${buf.length - pos} octets left)`);
    }
    const end = pos + length;
    this.offset = end;
    return { tag, content: buf.subarray(pos, end), encoded: buf.subarray(start, end), depth: this.depth };
  }

  /** Reads the next element, which must carry `tag`. */
  expect(tag: number, what: string): DerElement {
    const found = this.peekTag();
    if (found === undefined) throw new SpnegoError(`${what}: missing`);
    if (found !== tag) throw new SpnegoError(`${what}: expected tag ${hex2(tag)}, found ${hex2(found)}`);
    return this.next(what);
  }

  /** Reads the next element only if it carries `tag` (an OPTIONAL component). */
  optional(tag: number, what: string): DerElement | undefined {
    return this.peekTag() === tag ? this.next(what) : undefined;
  }

  /** Everything inside has been read: trailing octets are an error in DER. */
  end(what: string): void {
    if (!this.done) {
      throw new SpnegoError(`${what}: ${this.buf.length - this.offset} unexpected octets after the last element`);
    }
  }
}

/** A reader over a constructed element's contents, one level deeper. */
export function enter(el: DerElement, what: string): DerReader {
  if ((el.tag & CONSTRUCTED) === 0) throw new SpnegoError(`${what}: ${hex2(el.tag)} is not constructed`);
  return new DerReader(el.content, el.depth + 1);
}

/** The single element an EXPLICIT tag wraps, which must carry `tag`. */
export function unwrap(wrapper: DerElement, tag: number, what: string): DerElement {
  const r = enter(wrapper, what);
  const inner = r.expect(tag, what);
  r.end(what);
  return inner;
}

/** True for a context-specific identifier, primitive or constructed. */
export function isContextSpecific(tag: number): boolean {
  return (tag & CLASS_MASK) === CONTEXT_CLASS;
}

/** The tag number of a low-tag-number identifier octet. */
export function tagNumber(tag: number): number {
  return tag & 0x1f;
}

// ---------------------------------------------------------------------------------------
// Contents of universal types

/**
 * OBJECT IDENTIFIER contents (X.690 8.19) to dotted decimal. Arcs are read as bigint so
 * that no arc is silently rounded; the first subidentifier carries the first two arcs.
 */
export function decodeOid(content: Buffer): string {
  if (content.length === 0) throw new SpnegoError('OBJECT IDENTIFIER is empty');
  const subids: bigint[] = [];
  let value = 0n;
  let octets = 0;
  for (const b of content) {
    // 8.19.2: a subidentifier's first octet is never 0x80 (that would be a leading zero).
    if (octets === 0 && b === 0x80) throw new SpnegoError('OBJECT IDENTIFIER subidentifier is not minimal');
    if (++octets > MAX_SUBIDENTIFIER_OCTETS) throw new SpnegoError('OBJECT IDENTIFIER subidentifier too long');
    value = (value << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      subids.push(value);
      value = 0n;
      octets = 0;
    }
  }
  if (octets !== 0) throw new SpnegoError('OBJECT IDENTIFIER ends inside a subidentifier');
  const first = subids[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...subids.slice(1)].join('.');
}

/** ENUMERATED contents (X.690 8.4 → 8.3): a minimal two's-complement integer. */
export function decodeEnumerated(content: Buffer): number {
  if (content.length === 0) throw new SpnegoError('ENUMERATED is empty');
  if (content.length > 4) throw new SpnegoError('ENUMERATED value out of range');
  if (content.length > 1) {
    const lead = content[0]!;
    const nextTop = content[1]! & 0x80;
    if ((lead === 0x00 && nextTop === 0) || (lead === 0xff && nextTop !== 0)) {
      throw new SpnegoError('ENUMERATED is not minimally encoded');
    }
  }
  return content.readIntBE(0, content.length);
}

/**
 * BIT STRING contents (X.690 8.6), returned as on the wire: the unused-bit count, then
 * the bits. 11.2.1: the unused bits are zero. The named-bit rule (11.2.2, no trailing zero
 * bits) is not enforced: reqFlags is informational and Windows omits it anyway.
 */
export function decodeBitString(content: Buffer): Buffer {
  checkBitString(content);
  return Buffer.from(content);
}

function checkBitString(content: Buffer): void {
  if (content.length === 0) throw new SpnegoError('BIT STRING has no unused-bits octet');
  const unused = content[0]!;
  if (unused > 7) throw new SpnegoError(`BIT STRING claims ${unused} unused bits`);
  if (content.length === 1) {
    if (unused !== 0) throw new SpnegoError('empty BIT STRING with unused bits');
    return;
  }
  if ((content[content.length - 1]! & ((1 << unused) - 1)) !== 0) {
    throw new SpnegoError('BIT STRING unused bits are not zero');
  }
}

/** GeneralString contents; MS-SPNG 3.2.5.2 sends hintName as ISO-8859-1. */
export function decodeGeneralString(content: Buffer): string {
  return content.toString('latin1');
}

// ---------------------------------------------------------------------------------------
// Writing

/** Definite length, short form below 128, else the fewest octets (X.690 10.1). */
export function encodeLength(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new SpnegoError(`cannot encode length ${n}`);
  if (n < 0x80) return Buffer.from([n]);
  const octets: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) octets.unshift(v % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

/** One element: identifier, length, then the contents given in pieces. */
export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

/** [n] EXPLICIT around one encoded element. */
export function explicit(n: number, inner: Buffer): Buffer {
  return tlv(contextTag(n), inner);
}

const DOTTED = /^(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*))+$/;

/** A dotted OID (canonical decimal, at least two arcs) as a whole OBJECT IDENTIFIER element. */
export function encodeOid(dotted: string): Buffer {
  if (typeof dotted !== 'string' || !DOTTED.test(dotted)) {
    throw new SpnegoError(`not a dotted object identifier: ${JSON.stringify(dotted)}`);
  }
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [a, b] = arcs as [bigint, bigint];
  if (a > 2n || (a < 2n && b >= 40n)) throw new SpnegoError(`object identifier ${dotted} has impossible first arcs`);
  const octets: number[] = [];
  for (const subid of [a * 40n + b, ...arcs.slice(2)]) {
    const group: number[] = [Number(subid & 0x7fn)];
    for (let v = subid >> 7n; v > 0n; v >>= 7n) group.unshift(Number(v & 0x7fn) | 0x80);
    if (group.length > MAX_SUBIDENTIFIER_OCTETS) throw new SpnegoError(`object identifier ${dotted} has an arc too large`);
    octets.push(...group);
  }
  return tlv(TAG.OBJECT_IDENTIFIER, Buffer.from(octets));
}

export function encodeOctetString(value: Buffer): Buffer {
  return tlv(TAG.OCTET_STRING, value);
}

/** A non-negative ENUMERATED value in the fewest octets. */
export function encodeEnumerated(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new SpnegoError(`cannot encode ENUMERATED ${value}`);
  }
  const octets: number[] = [];
  let v = value;
  do {
    octets.unshift(v & 0xff);
    v >>>= 8;
  } while (v > 0);
  if (octets[0]! & 0x80) octets.unshift(0);
  return tlv(TAG.ENUMERATED, Buffer.from(octets));
}

/** A BIT STRING from its contents as decodeBitString returns them. */
export function encodeBitString(content: Buffer): Buffer {
  checkBitString(content);
  return tlv(TAG.BIT_STRING, content);
}

export function encodeGeneralString(value: string): Buffer {
  // latin1 would silently mangle anything wider, and the string would not round-trip.
  if (!/^[\u0000-\u00ff]*$/.test(value)) throw new SpnegoError('GeneralString holds only ISO-8859-1 here');
  return tlv(TAG.GeneralString, Buffer.from(value, 'latin1'));
}
