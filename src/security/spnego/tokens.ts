/**
 * SPNEGO negotiation tokens (RFC 4178 section 4, with the MS-SPNG 2.2.1 NegTokenInit2
 * extension). Field names are the ASN.1 names from those documents.
 *
 *   NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
 *
 * The initiator's first token travels inside the GSS-API InitialContextToken
 * ([APPLICATION 0] { thisMech OID, innerContextToken }, RFC 2743 3.1); every later token
 * in either direction is a bare NegotiationToken. Both sequences end in an extension
 * marker, so unknown elements are accepted after the last known one, as long as they are
 * context-tagged in ascending order; any other deviation is a SpnegoError.
 */
import {
  DerReader,
  TAG,
  contextTag,
  decodeBitString,
  decodeEnumerated,
  decodeGeneralString,
  decodeOid,
  encodeBitString,
  encodeEnumerated,
  encodeGeneralString,
  encodeOctetString,
  encodeOid,
  enter,
  explicit,
  isContextSpecific,
  tagNumber,
  tlv,
  unwrap,
  type DerElement,
} from './der.js';
import { SpnegoError } from './error.js';

export const OID_SPNEGO = '1.3.6.1.5.5.2';
export const OID_NTLMSSP = '1.3.6.1.4.1.311.2.2.10';
export const OID_KRB5 = '1.2.840.113554.1.2.2';
/** Kerberos with its arc 113554 (0x1bb92) cut to 16 bits (0xbb92); Windows offers it first and answers with it. */
export const OID_MS_KRB5 = '1.2.840.48018.1.2.2';
export const OID_KRB5_U2U = '1.2.840.113554.1.2.2.3';
export const OID_NEGOEX = '1.3.6.1.4.1.311.2.2.30';

export const NEG_STATE = {
  accept_completed: 0,
  accept_incomplete: 1,
  reject: 2,
  request_mic: 3,
} as const;
export type NegState = (typeof NEG_STATE)[keyof typeof NEG_STATE];

/** MS-SPNG 2.2.1. Windows servers send hintName "not_defined_in_RFC4178@please_ignore". */
export interface NegHints {
  hintName?: string;
  hintAddress?: Buffer;
}

export interface NegTokenInit {
  mechTypes: string[];
  /** The exact DER of the MechTypeList SEQUENCE as received or sent: what mechListMIC signs. */
  mechTypesDer: Buffer;
  /** ContextFlags BIT STRING contents: the unused-bit count, then the flag octets. */
  reqFlags?: Buffer;
  mechToken?: Buffer;
  /** Present only in an MS-SPNG NegTokenInit2 (whose mechListMIC moves to [4]). */
  negHints?: NegHints;
  mechListMIC?: Buffer;
}

export interface NegTokenResp {
  negState?: NegState;
  supportedMech?: string;
  responseToken?: Buffer;
  mechListMIC?: Buffer;
}

export type NegotiationToken = { kind: 'init'; token: NegTokenInit } | { kind: 'resp'; token: NegTokenResp };

/** What encodeNegTokenInit needs; mechTypesDer is always derived from mechTypes. */
export interface NegTokenInitFields {
  mechTypes: readonly string[];
  reqFlags?: Buffer;
  mechToken?: Buffer;
  negHints?: NegHints;
  mechListMIC?: Buffer;
}

// ---------------------------------------------------------------------------------------
// Decoding

/**
 * Decodes one whole token: the GSS-API-wrapped initial token, a bare [0] NegTokenInit, or
 * a [1] NegTokenResp. Octets after the token are an error.
 */
export function decodeNegotiationToken(buf: Buffer): NegotiationToken {
  const top = new DerReader(buf);
  const tag = top.peekTag();
  let result: NegotiationToken;
  if (tag === TAG.APPLICATION_0) {
    const gss = enter(top.next('InitialContextToken'), 'InitialContextToken');
    const thisMech = decodeOid(gss.expect(TAG.OBJECT_IDENTIFIER, 'thisMech').content);
    if (thisMech !== OID_SPNEGO) throw new SpnegoError(`initial token is for mechanism ${thisMech}, not SPNEGO`);
    // RFC 4178 4.2: the wrapped token is always the initiator's negTokenInit.
    result = { kind: 'init', token: readNegTokenInit(gss.expect(contextTag(0), 'negTokenInit')) };
    gss.end('InitialContextToken');
  } else if (tag === contextTag(0)) {
    result = { kind: 'init', token: readNegTokenInit(top.next('negTokenInit')) };
  } else if (tag === contextTag(1)) {
    result = { kind: 'resp', token: readNegTokenResp(top.next('negTokenResp')) };
  } else {
    throw new SpnegoError(
      tag === undefined ? 'empty SPNEGO token' : `not a SPNEGO token: leading tag 0x${tag.toString(16).padStart(2, '0')}`,
    );
  }
  top.end('SPNEGO token');
  return result;
}

function readNegTokenInit(wrapper: DerElement): NegTokenInit {
  const seq = enter(unwrap(wrapper, TAG.SEQUENCE, 'NegTokenInit'), 'NegTokenInit');

  // Optional in NegTokenInit2, but a token without it offers nothing to negotiate.
  const list = unwrap(seq.expect(contextTag(0), 'mechTypes'), TAG.SEQUENCE, 'mechTypes');
  const token: NegTokenInit = { mechTypes: readMechTypeList(list), mechTypesDer: Buffer.from(list.encoded) };

  const reqFlags = seq.optional(contextTag(1), 'reqFlags');
  if (reqFlags) token.reqFlags = decodeBitString(unwrap(reqFlags, TAG.BIT_STRING, 'reqFlags').content);

  const mechToken = seq.optional(contextTag(2), 'mechToken');
  if (mechToken) token.mechToken = octets(mechToken, 'mechToken');

  // [3] is mechListMIC in RFC 4178 but negHints in NegTokenInit2, whose mechListMIC is [4]:
  // the universal tag inside tells them apart (as Samba's spnego_parse.c also does).
  const third = seq.optional(contextTag(3), 'NegTokenInit [3]');
  if (third) {
    const inner = enter(third, 'NegTokenInit [3]');
    if (inner.peekTag() === TAG.SEQUENCE) {
      token.negHints = readNegHints(inner.next('negHints'));
      inner.end('negHints');
    } else {
      token.mechListMIC = Buffer.from(inner.expect(TAG.OCTET_STRING, 'mechListMIC').content);
      inner.end('mechListMIC');
    }
  }
  if (token.mechListMIC === undefined) {
    const mic = seq.optional(contextTag(4), 'mechListMIC');
    if (mic) token.mechListMIC = octets(mic, 'mechListMIC');
  }
  // Extensions number above both definitions' fields, so an RFC 4178 mechListMIC followed
  // by an MS-SPNG one is a contradiction, not an extension.
  skipExtensions(seq, 4, 'NegTokenInit');
  return token;
}

function readMechTypeList(list: DerElement): string[] {
  const r = enter(list, 'mechTypes');
  const oids: string[] = [];
  while (!r.done) oids.push(decodeOid(r.expect(TAG.OBJECT_IDENTIFIER, 'MechType').content));
  return oids;
}

function readNegHints(el: DerElement): NegHints {
  // NegHints has no extension marker: exactly its two optional fields.
  const r = enter(el, 'negHints');
  const hints: NegHints = {};
  const name = r.optional(contextTag(0), 'hintName');
  if (name) hints.hintName = decodeGeneralString(unwrap(name, TAG.GeneralString, 'hintName').content);
  const address = r.optional(contextTag(1), 'hintAddress');
  if (address) hints.hintAddress = octets(address, 'hintAddress');
  r.end('negHints');
  return hints;
}

function readNegTokenResp(wrapper: DerElement): NegTokenResp {
  const seq = enter(unwrap(wrapper, TAG.SEQUENCE, 'NegTokenResp'), 'NegTokenResp');
  const token: NegTokenResp = {};

  const negState = seq.optional(contextTag(0), 'negState');
  if (negState) {
    const value = decodeEnumerated(unwrap(negState, TAG.ENUMERATED, 'negState').content);
    // The enumeration has no extension marker: only its four values exist.
    if (value < 0 || value > 3) throw new SpnegoError(`negState ${value} is not defined`);
    token.negState = value as NegState;
  }

  const supportedMech = seq.optional(contextTag(1), 'supportedMech');
  if (supportedMech) token.supportedMech = decodeOid(unwrap(supportedMech, TAG.OBJECT_IDENTIFIER, 'supportedMech').content);

  const responseToken = seq.optional(contextTag(2), 'responseToken');
  if (responseToken) token.responseToken = octets(responseToken, 'responseToken');

  const mic = seq.optional(contextTag(3), 'mechListMIC');
  if (mic) token.mechListMIC = octets(mic, 'mechListMIC');

  skipExtensions(seq, 3, 'NegTokenResp');
  return token;
}

/** The OCTET STRING inside [n], copied so that it does not pin the caller's buffer. */
function octets(wrapper: DerElement, what: string): Buffer {
  return Buffer.from(unwrap(wrapper, TAG.OCTET_STRING, what).content);
}

/**
 * What an extension marker admits after the known fields: further context-tagged
 * elements, each numbered above the one before (DER keeps definition order). Anything
 * else left over (a duplicate, a field out of order, a universal tag) is an error.
 */
function skipExtensions(seq: DerReader, lastKnown: number, what: string): void {
  let last = lastKnown;
  while (!seq.done) {
    const el = seq.next(`${what} extension`);
    if (!isContextSpecific(el.tag) || tagNumber(el.tag) <= last) {
      throw new SpnegoError(`${what}: unexpected element with tag 0x${el.tag.toString(16).padStart(2, '0')}`);
    }
    last = tagNumber(el.tag);
  }
}

// ---------------------------------------------------------------------------------------
// Encoding

/** MechTypeList ::= SEQUENCE OF MechType: the bytes mechListMIC is computed over. */
export function encodeMechTypeList(oids: readonly string[]): Buffer {
  return tlv(TAG.SEQUENCE, ...oids.map(encodeOid));
}

/**
 * The initiator's first token, wrapped in the GSS-API InitialContextToken as Windows
 * clients send it. With negHints it is a NegTokenInit2 and mechListMIC goes to [4].
 */
export function encodeNegTokenInit(t: NegTokenInitFields): Buffer {
  const fields = [explicit(0, encodeMechTypeList(t.mechTypes))];
  if (t.reqFlags !== undefined) fields.push(explicit(1, encodeBitString(t.reqFlags)));
  if (t.mechToken !== undefined) fields.push(explicit(2, encodeOctetString(t.mechToken)));
  if (t.negHints !== undefined) {
    fields.push(explicit(3, encodeNegHints(t.negHints)));
    if (t.mechListMIC !== undefined) fields.push(explicit(4, encodeOctetString(t.mechListMIC)));
  } else if (t.mechListMIC !== undefined) {
    fields.push(explicit(3, encodeOctetString(t.mechListMIC)));
  }
  return tlv(TAG.APPLICATION_0, encodeOid(OID_SPNEGO), explicit(0, tlv(TAG.SEQUENCE, ...fields)));
}

function encodeNegHints(h: NegHints): Buffer {
  const fields: Buffer[] = [];
  if (h.hintName !== undefined) fields.push(explicit(0, encodeGeneralString(h.hintName)));
  if (h.hintAddress !== undefined) fields.push(explicit(1, encodeOctetString(h.hintAddress)));
  return tlv(TAG.SEQUENCE, ...fields);
}

/** A bare [1] NegTokenResp, fields in definition order, absent ones left out. */
export function encodeNegTokenResp(t: NegTokenResp): Buffer {
  const fields: Buffer[] = [];
  if (t.negState !== undefined) {
    if (!Object.values(NEG_STATE).includes(t.negState)) throw new SpnegoError(`negState ${t.negState} is not defined`);
    fields.push(explicit(0, encodeEnumerated(t.negState)));
  }
  if (t.supportedMech !== undefined) fields.push(explicit(1, encodeOid(t.supportedMech)));
  if (t.responseToken !== undefined) fields.push(explicit(2, encodeOctetString(t.responseToken)));
  if (t.mechListMIC !== undefined) fields.push(explicit(3, encodeOctetString(t.mechListMIC)));
  return explicit(1, tlv(TAG.SEQUENCE, ...fields));
}
