import { MESSAGE_TYPE, MSV_AV, NTLMSSP_NEGOTIATE as F, NTLMSSP_SIGNATURE } from './constants.js';

/**
 * NTLMSSP messages (MS-NLMP 2.2.1): fixed headers with (length, max length, offset)
 * field descriptors pointing into a payload. Every descriptor is checked against the
 * message before it is followed.
 */
export class NtlmMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NtlmMessageError';
  }
}

export interface NegotiateMessage {
  flags: number;
  domain: string;
  workstation: string;
  version?: Buffer;
  raw: Buffer;
}

export interface ChallengeMessage {
  flags: number;
  targetName: string;
  serverChallenge: Buffer;
  targetInfo: Buffer;
  version?: Buffer;
  raw: Buffer;
}

export interface AuthenticateMessage {
  flags: number;
  lmChallengeResponse: Buffer;
  ntChallengeResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
  encryptedRandomSessionKey: Buffer;
  version?: Buffer;
  /** Where the MIC would sit (offset 72) when the header leaves room for it. */
  micOffset: number | undefined;
  mic?: Buffer;
  raw: Buffer;
}

function checkHeader(buf: Buffer, type: number, min: number): void {
  if (buf.length < min) throw new NtlmMessageError(`NTLM message of ${buf.length} bytes is too short`);
  if (!buf.subarray(0, 8).equals(NTLMSSP_SIGNATURE)) throw new NtlmMessageError('not an NTLMSSP message');
  const t = buf.readUInt32LE(8);
  if (t !== type) throw new NtlmMessageError(`NTLM message type ${t}, expected ${type}`);
}

function field(buf: Buffer, at: number): Buffer {
  const len = buf.readUInt16LE(at);
  const off = buf.readUInt32LE(at + 4);
  if (len === 0) return Buffer.alloc(0);
  if (off > buf.length || len > buf.length - off) throw new NtlmMessageError('NTLM field runs past the message');
  return buf.subarray(off, off + len);
}

function text(b: Buffer, unicode: boolean): string {
  return unicode ? b.toString('utf16le') : b.toString('latin1');
}

export function parseNegotiate(buf: Buffer): NegotiateMessage {
  checkHeader(buf, MESSAGE_TYPE.NEGOTIATE, 16);
  const flags = buf.readUInt32LE(12);
  // Older clients send only the first 16 bytes.
  const domain = buf.length >= 24 && flags & F.OEM_DOMAIN_SUPPLIED ? field(buf, 16).toString('latin1') : '';
  const workstation = buf.length >= 32 && flags & F.OEM_WORKSTATION_SUPPLIED ? field(buf, 24).toString('latin1') : '';
  const version = buf.length >= 40 && flags & F.VERSION ? buf.subarray(32, 40) : undefined;
  return { flags, domain, workstation, version, raw: buf };
}

export function parseChallenge(buf: Buffer): ChallengeMessage {
  checkHeader(buf, MESSAGE_TYPE.CHALLENGE, 48);
  const flags = buf.readUInt32LE(20);
  return {
    flags,
    targetName: text(field(buf, 12), (flags & F.UNICODE) !== 0),
    serverChallenge: buf.subarray(24, 32),
    targetInfo: flags & F.TARGET_INFO ? field(buf, 40) : Buffer.alloc(0),
    version: buf.length >= 56 && flags & F.VERSION ? buf.subarray(48, 56) : undefined,
    raw: buf,
  };
}

export function parseAuthenticate(buf: Buffer): AuthenticateMessage {
  checkHeader(buf, MESSAGE_TYPE.AUTHENTICATE, 64);
  const flags = buf.readUInt32LE(60);
  const unicode = (flags & F.UNICODE) !== 0;
  // The smallest payload offset tells how long the fixed header is: 64, 72 with a
  // version, 88 with a version and a MIC.
  let headerEnd = buf.length;
  for (const at of [12, 20, 28, 36, 44, 52]) {
    if (buf.readUInt16LE(at) > 0) headerEnd = Math.min(headerEnd, buf.readUInt32LE(at + 4));
  }
  const micOffset = headerEnd >= 88 ? 72 : undefined;
  return {
    flags,
    lmChallengeResponse: field(buf, 12),
    ntChallengeResponse: field(buf, 20),
    domain: text(field(buf, 28), unicode),
    user: text(field(buf, 36), unicode),
    workstation: text(field(buf, 44), unicode),
    encryptedRandomSessionKey: field(buf, 52),
    version: headerEnd >= 72 && flags & F.VERSION ? buf.subarray(64, 72) : undefined,
    micOffset,
    mic: micOffset !== undefined ? buf.subarray(72, 88) : undefined,
    raw: buf,
  };
}

/** Lays out a header of `headerSize` bytes followed by the payload fields, in order. */
class Builder {
  private readonly parts: Buffer[] = [];
  private payloadAt: number;
  readonly header: Buffer;

  constructor(type: number, headerSize: number) {
    this.header = Buffer.alloc(headerSize);
    NTLMSSP_SIGNATURE.copy(this.header, 0);
    this.header.writeUInt32LE(type, 8);
    this.payloadAt = headerSize;
  }

  field(at: number, data: Buffer): void {
    this.header.writeUInt16LE(data.length, at);
    this.header.writeUInt16LE(data.length, at + 2);
    this.header.writeUInt32LE(this.payloadAt, at + 4);
    this.parts.push(data);
    this.payloadAt += data.length;
  }

  finish(): Buffer {
    return Buffer.concat([this.header, ...this.parts]);
  }
}

export function encodeNegotiate(flags: number, version?: Buffer): Buffer {
  const b = new Builder(MESSAGE_TYPE.NEGOTIATE, 40);
  b.header.writeUInt32LE(flags >>> 0, 12);
  b.field(16, Buffer.alloc(0));
  b.field(24, Buffer.alloc(0));
  if (version) version.copy(b.header, 32);
  return b.finish();
}

export function encodeChallenge(m: { flags: number; targetName: string; serverChallenge: Buffer; targetInfo: Buffer; version?: Buffer }): Buffer {
  const b = new Builder(MESSAGE_TYPE.CHALLENGE, 56);
  const unicode = (m.flags & F.UNICODE) !== 0;
  b.field(12, Buffer.from(m.targetName, unicode ? 'utf16le' : 'latin1'));
  b.header.writeUInt32LE(m.flags >>> 0, 20);
  m.serverChallenge.copy(b.header, 24);
  b.field(40, m.flags & F.TARGET_INFO ? m.targetInfo : Buffer.alloc(0));
  if (m.version) m.version.copy(b.header, 48);
  return b.finish();
}

/** What a client puts in an AUTHENTICATE_MESSAGE: the fields it reads back, less where the MIC lands. */
export type AuthenticateFields = Omit<AuthenticateMessage, 'micOffset' | 'mic' | 'raw'> & { withMic: boolean };

export function encodeAuthenticate(m: AuthenticateFields): Buffer {
  const b = new Builder(MESSAGE_TYPE.AUTHENTICATE, m.withMic ? 88 : 72);
  const enc = (s: string) => Buffer.from(s, m.flags & F.UNICODE ? 'utf16le' : 'latin1');
  b.field(28, enc(m.domain));
  b.field(36, enc(m.user));
  b.field(44, enc(m.workstation));
  b.field(12, m.lmChallengeResponse);
  b.field(20, m.ntChallengeResponse);
  b.field(52, m.encryptedRandomSessionKey);
  b.header.writeUInt32LE(m.flags >>> 0, 60);
  if (m.version) m.version.copy(b.header, 64);
  return b.finish();
}

export type AvPairs = Map<number, Buffer>;

export function parseAvPairs(buf: Buffer): AvPairs {
  const out: AvPairs = new Map();
  let at = 0;
  while (at + 4 <= buf.length) {
    const id = buf.readUInt16LE(at);
    const len = buf.readUInt16LE(at + 2);
    if (at + 4 + len > buf.length) throw new NtlmMessageError('AV_PAIR runs past its list');
    if (id === MSV_AV.EOL) return out;
    if (!out.has(id)) out.set(id, buf.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  throw new NtlmMessageError('AV_PAIR list without MsvAvEOL');
}

export function encodeAvPairs(pairs: Array<[number, Buffer]>): Buffer {
  const parts: Buffer[] = [];
  for (const [id, value] of pairs) {
    const h = Buffer.alloc(4);
    h.writeUInt16LE(id, 0);
    h.writeUInt16LE(value.length, 2);
    parts.push(h, value);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** A FILETIME (100 ns since 1601) as 8 little-endian bytes. */
export function filetime(ms = Date.now()): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(ms) * 10000n + 116444736000000000n, 0);
  return b;
}
