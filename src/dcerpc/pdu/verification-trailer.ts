import { readGuid, writeGuid } from '../../ndr/guid.js';
import { PTYPE } from '../constants.js';
import type { SyntaxId } from './types.js';

/**
 * The verification trailer (MS-RPCE 2.2.2.13): what Windows and Samba clients append to a
 * request's stub data, before the auth padding, so that a server can check the parts of the
 * call that the security provider does not protect (the header, the presentation context,
 * whether header signing was offered). Described once here; both directions come from it.
 *
 *   rpc_sec_verification_trailer   signature[8] = 8a e3 13 71 02 f4 36 71, 4-octet aligned
 *   then commands, each:           command u16 (bits 0-13 the command, 0x4000 the last,
 *                                  0x8000 must be processed), length u16, `length` octets
 */

export const SEC_VT_SIGNATURE = Buffer.from([0x8a, 0xe3, 0x13, 0x71, 0x02, 0xf4, 0x36, 0x71]);

/** The command numbers (MS-RPCE 2.2.2.13.2 - 2.2.2.13.5). */
export const SEC_VT_COMMAND = {
  BITMASK_1: 0x0001,
  PCONTEXT: 0x0002,
  HEADER2: 0x0003,
} as const;
export const SEC_VT_COMMAND_MASK = 0x3fff;
export const SEC_VT_COMMAND_END = 0x4000;
export const SEC_VT_MUST_PROCESS_COMMAND = 0x8000;

/** rpc_sec_vt_bitmask_1's only bit: the client supports header signing (PFC_SUPPORT_HEADER_SIGN). */
export const CLIENT_SUPPORT_HEADER_SIGNING = 0x00000001;

/**
 * How far back from the end of the stub the signature is searched: MS-RPCE 2.2.2.13 tells
 * servers to search rather than assume the trailer follows the stub at once; Samba (which
 * copies Windows here) looks at 4-aligned offsets in the last 1024 octets.
 */
export const SEC_VT_SEARCH_WINDOW = 1024;
/** Octets allowed after the last command (the client's own padding), as Samba allows. */
const MAX_TRAILING_PAD = 16;

const HEADER2_LENGTH = 16;
const PCONTEXT_LENGTH = 40;
const BITMASK_1_LENGTH = 4;

/** rpc_sec_vt_header2: the request header fields the trailer repeats. */
export interface SecVtHeader2 {
  ptype: number;
  /** The four drep octets as one little-endian number (byte 0 lowest). */
  drep: number;
  callId: number;
  contextId: number;
  opnum: number;
}

export type SecVtCommand =
  | { readonly command: typeof SEC_VT_COMMAND.BITMASK_1; readonly mustProcess: boolean; readonly bits: number }
  | { readonly command: typeof SEC_VT_COMMAND.PCONTEXT; readonly mustProcess: boolean; readonly interfaceId: SyntaxId; readonly transferSyntax: SyntaxId }
  | ({ readonly command: typeof SEC_VT_COMMAND.HEADER2; readonly mustProcess: boolean } & SecVtHeader2)
  | { readonly command: number; readonly mustProcess: boolean; readonly data: Buffer };

export interface VerificationTrailer {
  /** Where the signature starts in the stub: the stub data proper ends here. */
  readonly offset: number;
  readonly commands: readonly SecVtCommand[];
}

const u16 = (b: Buffer, at: number, le: boolean) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
const u32 = (b: Buffer, at: number, le: boolean) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));

/** RPC_SYNTAX_IDENTIFIER: the UUID, then if_version as one u32 (major low, minor high), as in p_syntax_id_t. */
function readSyntax(b: Buffer, at: number, le: boolean): SyntaxId {
  const version = u32(b, at + 16, le);
  return { uuid: readGuid(b, at, le), major: version & 0xffff, minor: version >>> 16 };
}

function writeSyntax(b: Buffer, at: number, s: SyntaxId): void {
  writeGuid(b, at, s.uuid);
  b.writeUInt16LE(s.major, at + 16);
  b.writeUInt16LE(s.minor, at + 18);
}

/** Reads the commands after a signature at `at`; undefined when they do not parse as a trailer. */
function readCommands(stub: Buffer, at: number, le: boolean): SecVtCommand[] | undefined {
  const commands: SecVtCommand[] = [];
  let p = at + SEC_VT_SIGNATURE.length;
  for (;;) {
    if (p + 4 > stub.length) return undefined;
    const word = u16(stub, p, le);
    const length = u16(stub, p + 2, le);
    const body = p + 4;
    if (body + length > stub.length) return undefined;
    const command = word & SEC_VT_COMMAND_MASK;
    const mustProcess = (word & SEC_VT_MUST_PROCESS_COMMAND) !== 0;
    if (command === SEC_VT_COMMAND.BITMASK_1 && length === BITMASK_1_LENGTH) {
      commands.push({ command, mustProcess, bits: u32(stub, body, le) });
    } else if (command === SEC_VT_COMMAND.PCONTEXT && length === PCONTEXT_LENGTH) {
      commands.push({ command, mustProcess, interfaceId: readSyntax(stub, body, le), transferSyntax: readSyntax(stub, body + 20, le) });
    } else if (command === SEC_VT_COMMAND.HEADER2 && length === HEADER2_LENGTH) {
      commands.push({
        command,
        mustProcess,
        ptype: stub[body]!,
        // drep is four octets, whatever the byte order: read as they stand.
        drep: stub.readUInt32LE(body + 4),
        callId: u32(stub, body + 8, le),
        contextId: u16(stub, body + 12, le),
        opnum: u16(stub, body + 14, le),
      });
    } else if (command === SEC_VT_COMMAND.BITMASK_1 || command === SEC_VT_COMMAND.PCONTEXT || command === SEC_VT_COMMAND.HEADER2) {
      return undefined; // a known command of the wrong size
    } else {
      commands.push({ command, mustProcess, data: Buffer.from(stub.subarray(body, body + length)) });
    }
    p = body + length;
    if (word & SEC_VT_COMMAND_END) break;
  }
  return stub.length - p > MAX_TRAILING_PAD ? undefined : commands;
}

/**
 * Looks for a verification trailer at the end of a request's stub data (after the auth
 * padding was removed): the signature at a 4-aligned offset within the search window, then
 * commands up to one marked END, then at most a few octets of padding. Anything else is
 * not a trailer, and the stub is left whole, as Samba and Windows do. A big-endian call's
 * trailer is big-endian too (Samba reads it with the call's byte order).
 */
export function findVerificationTrailer(stub: Buffer, littleEndian = true): VerificationTrailer | undefined {
  if (stub.length < SEC_VT_SIGNATURE.length + 4) return undefined;
  const last = (stub.length - SEC_VT_SIGNATURE.length) & ~3;
  const first = Math.max(0, last - SEC_VT_SEARCH_WINDOW);
  for (let at = last; at >= first; at -= 4) {
    // The first octet is a cheap filter before the full comparison.
    if (stub[at] !== 0x8a || stub.compare(SEC_VT_SIGNATURE, 0, 8, at, at + 8) !== 0) continue;
    const commands = readCommands(stub, at, littleEndian);
    return commands ? { offset: at, commands } : undefined;
  }
  return undefined;
}

/**
 * The trailer for a stub of `stubLength` octets: zero padding to a multiple of 4, the
 * signature, then the commands with END on the last. Append it to the stub.
 */
export function encodeVerificationTrailer(stubLength: number, commands: readonly SecVtCommand[]): Buffer {
  if (commands.length === 0) throw new RangeError('a verification trailer needs at least one command');
  const pad = (4 - (stubLength % 4)) % 4;
  const sizes = commands.map((c) =>
    c.command === SEC_VT_COMMAND.BITMASK_1 ? BITMASK_1_LENGTH : c.command === SEC_VT_COMMAND.PCONTEXT ? PCONTEXT_LENGTH : c.command === SEC_VT_COMMAND.HEADER2 ? HEADER2_LENGTH : (c as { data: Buffer }).data.length,
  );
  const out = Buffer.alloc(pad + SEC_VT_SIGNATURE.length + sizes.reduce((n, s) => n + 4 + s, 0));
  SEC_VT_SIGNATURE.copy(out, pad);
  let p = pad + SEC_VT_SIGNATURE.length;
  commands.forEach((c, i) => {
    const word = c.command | (c.mustProcess ? SEC_VT_MUST_PROCESS_COMMAND : 0) | (i === commands.length - 1 ? SEC_VT_COMMAND_END : 0);
    out.writeUInt16LE(word, p);
    out.writeUInt16LE(sizes[i]!, p + 2);
    const body = p + 4;
    if ('bits' in c) out.writeUInt32LE(c.bits >>> 0, body);
    else if ('interfaceId' in c) {
      writeSyntax(out, body, c.interfaceId);
      writeSyntax(out, body + 20, c.transferSyntax);
    } else if ('opnum' in c) {
      out[body] = c.ptype;
      out.writeUInt32LE(c.drep >>> 0, body + 4);
      out.writeUInt32LE(c.callId >>> 0, body + 8);
      out.writeUInt16LE(c.contextId, body + 12);
      out.writeUInt16LE(c.opnum, body + 14);
    } else c.data.copy(out, body);
    p = body + sizes[i]!;
  });
  return out;
}

/** What the server knows of a call, to check a trailer against. */
export interface SecVtExpected {
  /** The client offered header signing (PFC_SUPPORT_HEADER_SIGN) in its bind or alter_context. */
  headerSigning: boolean;
  interfaceId: SyntaxId;
  transferSyntax: SyntaxId;
  header2: SecVtHeader2;
}

const sameSyntax = (a: SyntaxId, b: SyntaxId) => a.uuid === b.uuid && a.major === b.major && a.minor === b.minor;

/**
 * Checks a trailer as a Windows server does (Samba's dcesrv_check_verification_trailer
 * follows it): each command at most once; BITMASK_1 may not claim header signing the
 * bind did not offer (a downgrade); PCONTEXT names the call's presentation context;
 * HEADER2 repeats the request header; an unknown command marked must-process fails, other
 * unknown ones must be a multiple of 4 long. Returns why it fails, or undefined.
 */
export function checkVerificationTrailer(vt: VerificationTrailer, want: SecVtExpected): string | undefined {
  const seen = new Set<number>();
  for (const c of vt.commands) {
    if (seen.has(c.command)) return `command ${c.command} repeated`;
    seen.add(c.command);
    if ('bits' in c) {
      if (c.bits & CLIENT_SUPPORT_HEADER_SIGNING && !want.headerSigning) return 'BITMASK_1 claims header signing the bind did not offer';
    } else if ('interfaceId' in c) {
      if (!sameSyntax(c.interfaceId, want.interfaceId)) return 'PCONTEXT names another interface';
      if (!sameSyntax(c.transferSyntax, want.transferSyntax)) return 'PCONTEXT names another transfer syntax';
    } else if ('opnum' in c) {
      const h = want.header2;
      if (c.ptype !== h.ptype || c.drep !== h.drep || c.callId !== h.callId || c.contextId !== h.contextId || c.opnum !== h.opnum) {
        return 'HEADER2 does not match the request header';
      }
    } else if (c.mustProcess) {
      return `unknown command ${c.command} marked must-process`;
    } else if (c.data.length % 4 !== 0) {
      return `unknown command ${c.command} of length ${c.data.length}`;
    }
  }
  return undefined;
}

/** The HEADER2 a request with these fields carries (drep as its four octets, little-endian). */
export function header2Of(f: { drep: number; callId: number; contextId: number; opnum: number }): SecVtHeader2 {
  return { ptype: PTYPE.request, drep: f.drep, callId: f.callId, contextId: f.contextId, opnum: f.opnum };
}
