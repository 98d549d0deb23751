import { GUID_NULL, readGuid, writeGuid, type Guid } from '../ndr/guid.js';
import { decodePackedDsa, encodePackedDsa, type DualStringArray } from './bindings.js';
import { DcomFormatError } from './error.js';
import type { STDOBJREF_T } from './orpc.js';

/**
 * OBJREF (MS-DCOM 2.2.18): a marshaled interface pointer, the abData of an
 * MInterfacePointer. It is packed by hand, little-endian, with no NDR alignment inside:
 * signature, flags, iid (24 bytes), then the form the flags name.
 */

/** "MEOW" in its bytes 4d 45 4f 57. */
export const OBJREF_SIGNATURE = 0x574f454d;

export const OBJREF_FLAGS = { STANDARD: 1, HANDLER: 2, CUSTOM: 4, EXTENDED: 8 } as const;

/** STDOBJREF.flags: the client need not ping the OID (2.2.18.2). */
export const SORF_NOPING = 0x1000;

/** OBJREF_EXTENDED's Signature1 and Signature2 (2.2.18.7). */
const EXTENDED_SIGNATURE = 0x4e535956;

const HEADER_SIZE = 24;
const STDOBJREF_SIZE = 40;
/** clsid, cbExtension, reserved. */
const CUSTOM_FIXED_SIZE = 24;

export type Objref =
  | { kind: 'standard'; iid: Guid; std: STDOBJREF_T; resolver: DualStringArray }
  | { kind: 'custom'; iid: Guid; clsid: Guid; cbExtension: number; data: Buffer };

export function encodeObjref(o: Objref): Buffer {
  if (o.iid.toLowerCase() === GUID_NULL) throw new RangeError('an OBJREF iid must not be GUID_NULL');
  if (o.kind === 'standard') {
    // OBJREF_STANDARD (2.2.18.4): STDOBJREF, then the resolver's bindings, nothing after.
    const dsa = encodePackedDsa(o.resolver);
    const out = Buffer.allocUnsafe(HEADER_SIZE + STDOBJREF_SIZE + dsa.length);
    writeHeader(out, OBJREF_FLAGS.STANDARD, o.iid);
    writeStdObjref(out, HEADER_SIZE, o.std);
    dsa.copy(out, HEADER_SIZE + STDOBJREF_SIZE);
    return out;
  }
  // OBJREF_CUSTOM (2.2.18.6). The spec calls the second u32 reserved and arbitrary; impacket,
  // scapy and go-msrpc all send the data's length + 8 there, so we do too.
  const at = HEADER_SIZE;
  const out = Buffer.allocUnsafe(at + CUSTOM_FIXED_SIZE + o.data.length);
  writeHeader(out, OBJREF_FLAGS.CUSTOM, o.iid);
  writeGuid(out, at, o.clsid);
  out.writeUInt32LE(o.cbExtension, at + 16);
  out.writeUInt32LE(o.data.length + 8, at + 20);
  o.data.copy(out, at + CUSTOM_FIXED_SIZE);
  return out;
}

/** An OBJREF_CUSTOM around `data` (the activation blobs, a marshaled context): cbExtension 0. */
export function encodeObjrefCustom(iid: Guid, clsid: Guid, data: Buffer): Buffer {
  return encodeObjref({ kind: 'custom', iid, clsid, cbExtension: 0, data });
}

function writeHeader(out: Buffer, flags: number, iid: Guid): void {
  out.writeUInt32LE(OBJREF_SIGNATURE, 0);
  out.writeUInt32LE(flags, 4);
  writeGuid(out, 8, iid);
}

function writeStdObjref(out: Buffer, at: number, std: STDOBJREF_T): void {
  out.writeUInt32LE(std.flags, at);
  out.writeUInt32LE(std.cPublicRefs, at + 4);
  out.writeBigUInt64LE(std.oxid, at + 8);
  out.writeBigUInt64LE(std.oid, at + 16);
  writeGuid(out, at + 24, std.ipid);
}

export interface DecodeObjrefOptions {
  /**
   * Accept an iid of GUID_NULL, which 2.2.18 forbids. Only the activator's pActProperties
   * asks for this: its OBJREF_CUSTOM is recognised by its clsid, and it has always been
   * accepted whatever its iid (see docs/decisions.md, DCOM).
   */
  anyIid?: boolean;
}

/**
 * Reads an OBJREF. Bytes after the form are ignored, as a stream reader that stops at the
 * end of the OBJREF ignores them. OBJREF_HANDLER and OBJREF_EXTENDED are checked and then
 * refused: this host has no handler classes and no envoy contexts. Anything malformed is a
 * DcomFormatError, which the caller answers with RPC_E_INVALID_OBJREF (3.2.4.1.2).
 */
export function decodeObjref(buf: Buffer, opts: DecodeObjrefOptions = {}): Objref {
  need(buf, 0, HEADER_SIZE, 'OBJREF header');
  const signature = buf.readUInt32LE(0);
  if (signature !== OBJREF_SIGNATURE) throw new DcomFormatError(`OBJREF signature 0x${hex8(signature)} is not MEOW`);
  const flags = buf.readUInt32LE(4);
  const iid = readGuid(buf, 8);
  if (iid === GUID_NULL && !opts.anyIid) throw new DcomFormatError('OBJREF iid is GUID_NULL');

  switch (flags) {
    case OBJREF_FLAGS.STANDARD: {
      const std = readStdObjref(buf, HEADER_SIZE);
      const { dsa } = decodePackedDsa(buf, HEADER_SIZE + STDOBJREF_SIZE);
      return { kind: 'standard', iid, std, resolver: dsa };
    }
    case OBJREF_FLAGS.CUSTOM: {
      const at = HEADER_SIZE;
      need(buf, at, CUSTOM_FIXED_SIZE, 'OBJREF_CUSTOM');
      // cbExtension and reserved "MUST be ignored on receipt": the data runs to the end.
      return {
        kind: 'custom',
        iid,
        clsid: readGuid(buf, at),
        cbExtension: buf.readUInt32LE(at + 16),
        data: Buffer.from(buf.subarray(at + CUSTOM_FIXED_SIZE)),
      };
    }
    case OBJREF_FLAGS.HANDLER: {
      // OBJREF_HANDLER (2.2.18.5): STDOBJREF, clsid, bindings.
      readStdObjref(buf, HEADER_SIZE);
      need(buf, HEADER_SIZE + STDOBJREF_SIZE, 16, 'OBJREF_HANDLER clsid');
      decodePackedDsa(buf, HEADER_SIZE + STDOBJREF_SIZE + 16);
      throw new DcomFormatError('OBJREF_HANDLER is not supported: this host has no handler classes');
    }
    case OBJREF_FLAGS.EXTENDED: {
      checkExtended(buf);
      throw new DcomFormatError('OBJREF_EXTENDED is not supported: this host has no envoy contexts');
    }
    default:
      throw new DcomFormatError(`OBJREF flags 0x${hex8(flags)} are not exactly one OBJREF format`);
  }
}

/** OBJREF_EXTENDED (2.2.18.7, 2.2.18.8), read far enough to know it is well formed. */
function checkExtended(buf: Buffer): void {
  readStdObjref(buf, HEADER_SIZE);
  let at = HEADER_SIZE + STDOBJREF_SIZE;
  need(buf, at, 4, 'OBJREF_EXTENDED Signature1');
  if (buf.readUInt32LE(at) !== EXTENDED_SIGNATURE) throw new DcomFormatError('OBJREF_EXTENDED Signature1 is wrong');
  at += 4;
  at += decodePackedDsa(buf, at).size;
  need(buf, at, 8, 'OBJREF_EXTENDED nElms and Signature2');
  if (buf.readUInt32LE(at) !== 1) throw new DcomFormatError('OBJREF_EXTENDED nElms is not 1');
  if (buf.readUInt32LE(at + 4) !== EXTENDED_SIGNATURE) throw new DcomFormatError('OBJREF_EXTENDED Signature2 is wrong');
  at += 8;
  need(buf, at, 24, 'DATAELEMENT header');
  const cbSize = buf.readUInt32LE(at + 16);
  const cbRounded = buf.readUInt32LE(at + 20);
  if (cbSize === 0 || cbRounded !== cbSize + ((8 - (cbSize % 8)) % 8)) {
    throw new DcomFormatError(`DATAELEMENT cbSize ${cbSize} / cbRounded ${cbRounded} are inconsistent`);
  }
  need(buf, at + 24, cbRounded, 'DATAELEMENT Data');
}

function readStdObjref(buf: Buffer, at: number): STDOBJREF_T {
  need(buf, at, STDOBJREF_SIZE, 'STDOBJREF');
  return {
    flags: buf.readUInt32LE(at),
    cPublicRefs: buf.readUInt32LE(at + 4),
    oxid: buf.readBigUInt64LE(at + 8),
    oid: buf.readBigUInt64LE(at + 16),
    ipid: readGuid(buf, at + 24),
  };
}

function need(buf: Buffer, at: number, n: number, what: string): void {
  if (at + n > buf.length) throw new DcomFormatError(`${what} runs past the end of the OBJREF (${buf.length} bytes)`);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
