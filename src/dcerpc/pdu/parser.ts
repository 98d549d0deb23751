import { NdrReader } from '../../ndr/reader.js';
import { DREP_LITTLE_ENDIAN, SEC_TRAILER_SIZE } from '../constants.js';
import { PduError } from './error.js';
import { AUTH_VERIFIER, COMMON_HEADER, COMMON_HEADER_CHECKED, PDU_KINDS } from './layouts.js';
import type { AuthVerifier, Pdu, PduHeader } from './types.js';

/**
 * Reads one complete fragment by the layouts of layouts.ts: the common header, then the
 * body the PTYPE names. Every field honours the sender's integer byte order; every length
 * is checked against the fragment before it is used; every failure is a PduError.
 */

/** The common header in the sender's byte order; any rpc_vers (the caller may want the call_id). */
export function readHeader(buf: Buffer): PduHeader {
  return COMMON_HEADER.read(new NdrReader(buf));
}

export function isLittleEndian(header: PduHeader): boolean {
  return (header.drep & 0xf0) === DREP_LITTLE_ENDIAN;
}

export function parsePdu(buf: Buffer): Pdu {
  const r = new NdrReader(buf);
  const header = COMMON_HEADER_CHECKED.read(r);
  if (header.fragLength !== buf.length) throw new PduError('frag_length disagrees with the fragment');
  const kind = PDU_KINDS[header.ptype];
  if (kind === undefined) throw new PduError(`PDU type ${header.ptype} is not a connection-oriented PDU`);
  if (!kind.verifier) {
    const pdu = kind.shell(kind.type, header, buf);
    kind.body.readInto(r, pdu);
    return pdu;
  }
  let body = r;
  let auth: AuthVerifier | undefined;
  if (header.authLength !== 0) {
    // The sec_trailer sits auth_length + 8 octets from the end; the body stops before it.
    const trailer = header.fragLength - header.authLength - SEC_TRAILER_SIZE;
    if (trailer < r.offset) throw new PduError('auth_length leaves no room for the body');
    auth = AUTH_VERIFIER.read(new NdrReader(buf.subarray(trailer), r.littleEndian));
    body = new NdrReader(buf.subarray(0, trailer), r.littleEndian);
    body.offset = r.offset;
  }
  const pdu = kind.shell(kind.type, header, buf, auth);
  kind.body.readInto(body, pdu);
  return pdu;
}
