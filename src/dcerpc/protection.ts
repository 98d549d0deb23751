import type { PduProtection } from './auth.js';
import { COMMON_HEADER_SIZE, SEC_TRAILER_SIZE } from './constants.js';
import { stubFragments } from './pdu/fragment.js';
import type { OutAuth } from './pdu/serializer.js';
import type { RequestPdu, ResponsePdu } from './pdu/types.js';

/**
 * Per-PDU protection of request and response fragments (MS-RPCE 2.2.2.11, 3.3.1.5.2), for
 * the server and the client alike: where the protected body starts, how much stub fits in
 * a fragment once the verifier is added, and signing or sealing a fragment in place.
 */

/** alloc_hint, p_cont_id and opnum (or cancel_count) after the common header. */
export const CALL_HEADER_SIZE = COMMON_HEADER_SIZE + 8;
/** The object UUID a request carries with PFC_OBJECT_UUID. */
const OBJECT_SIZE = 16;
/** Stub data is padded so that the sec_trailer starts on a 16-octet boundary. */
export const STUB_PAD_ALIGNMENT = 16;

/** Where the body of a request or response starts: after its header and any object UUID. */
export function bodyStart(hasObject: boolean): number {
  return CALL_HEADER_SIZE + (hasObject ? OBJECT_SIZE : 0);
}

/**
 * How much stub one fragment of `maxFrag` octets carries: with a verifier, less the
 * sec_trailer, the signature and up to 15 octets of pad, rounded down to the alignment.
 */
export function stubRoom(maxFrag: number, hasObject: boolean, protection?: PduProtection): number {
  const header = bodyStart(hasObject);
  if (!protection) return maxFrag - header;
  return (maxFrag - header - SEC_TRAILER_SIZE - protection.signatureSize - (STUB_PAD_ALIGNMENT - 1)) & ~(STUB_PAD_ALIGNMENT - 1);
}

/** A security context at a level, as a fragment is protected with it. */
export interface FragmentSecurity {
  readonly protection: PduProtection;
  readonly authType: number;
  readonly level: number;
  readonly contextId: number;
}

/** The verifier to encode a fragment with: a zeroed signature, filled in by `protectFragment`. */
export function placeholderVerifier(s: FragmentSecurity): OutAuth {
  return { authType: s.authType, authLevel: s.level, authContextId: s.contextId, authValue: Buffer.alloc(s.protection.signatureSize), padTo: STUB_PAD_ALIGNMENT };
}

/** Signs (or seals, at privacy) an encoded fragment in place. */
export function protectFragment(s: FragmentSecurity, pdu: Buffer, hasObject: boolean): void {
  const sigAt = pdu.length - s.protection.signatureSize;
  s.protection.protect(s.level, pdu, bodyStart(hasObject), sigAt - SEC_TRAILER_SIZE, sigAt);
}

/** Checks (and at privacy unseals in place) a received request or response fragment. */
export function verifyFragment(protection: PduProtection, level: number, pdu: RequestPdu | ResponsePdu): boolean {
  const h = pdu.header;
  const sigAt = h.fragLength - h.authLength;
  const start = bodyStart(pdu.type === 'request' && pdu.object !== undefined);
  return protection.verify(level, pdu.raw, start, sigAt - SEC_TRAILER_SIZE, sigAt);
}

/**
 * Cuts a stub into fragments no larger than `maxFrag`, encodes each with `encode`, protected
 * when `security` is given, and hands each to `emit` as soon as it is ready, in order: the
 * one way requests and responses go out (the caller decides how they are written).
 */
export function emitFragments(
  stub: Buffer,
  maxFrag: number,
  hasObject: boolean,
  security: FragmentSecurity | undefined,
  encode: (f: { flags: number; allocHint: number; chunk: Buffer }, auth: OutAuth | undefined) => Buffer,
  emit: (pdu: Buffer) => void,
): void {
  for (const f of stubFragments(stub, stubRoom(maxFrag, hasObject, security?.protection))) {
    if (!security) {
      emit(encode(f, undefined));
      continue;
    }
    const pdu = encode(f, placeholderVerifier(security));
    protectFragment(security, pdu, hasObject);
    emit(pdu);
  }
}

/** emitFragments, collected: the fragments of one stub in order. */
export function encodeFragments(
  stub: Buffer,
  maxFrag: number,
  hasObject: boolean,
  security: FragmentSecurity | undefined,
  encode: (f: { flags: number; allocHint: number; chunk: Buffer }, auth: OutAuth | undefined) => Buffer,
): Buffer[] {
  const out: Buffer[] = [];
  emitFragments(stub, maxFrag, hasObject, security, encode, (pdu) => out.push(pdu));
  return out;
}
