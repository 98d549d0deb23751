import type { TypeOf } from '../ndr/type.js';
import { DcomFormatError } from './error.js';
import type { DUALSTRINGARRAY } from './orpc.js';

/**
 * DUALSTRINGARRAY (MS-DCOM 2.2.19): where an object resolver or exporter listens and which
 * security providers it accepts, as one array of u16. The array holds STRINGBINDINGs and a
 * zero, then (from wSecurityOffset) SECURITYBINDINGs and a zero. It travels in two forms:
 * packed inside an OBJREF (2.2.19.1) and as a conformant NDR structure (2.2.19.2); both
 * share `aStringArray`, which is what this file builds and parses.
 */

/** STRINGBINDING (2.2.19.3): "host" for a resolver, "host[endpoint]" for an exporter. */
export interface StringBinding {
  towerId: number;
  networkAddr: string;
}

/** SECURITYBINDING (2.2.19.4); for RPC_C_AUTHN_NONE neither authzSvc nor principal travels. */
export interface SecurityBinding {
  authnSvc: number;
  /** The Reserved field (Samba: wAuthzSvc), sent as COM_C_AUTHZ_NONE 0xffff, ignored on receipt. */
  authzSvc: number;
  /** An SPN; empty means the client uses none. */
  principal: string;
}

export interface DualStringArray {
  stringBindings: StringBinding[];
  securityBindings: SecurityBinding[];
}

/** The value of the NDR `DUALSTRINGARRAY` type of orpc.ts. */
export type DualStringArrayNdr = TypeOf<typeof DUALSTRINGARRAY>;

/** Protocol sequence ids (C706 appendix I). impacket's 0x10 for named pipes is wrong. */
export const TOWER_ID = { ncacn_ip_tcp: 0x0007, ncacn_np: 0x000f, ncacn_http: 0x001f } as const;

/** RPC_C_AUTHN_* (MS-RPCE 2.2.1.1.7), the ones a Windows host lists. */
export const AUTHN_SVC = { none: 0, gss_negotiate: 9, winnt: 10, gss_kerberos: 16 } as const;

/** What the Reserved field of a SECURITYBINDING is set to when sent. */
export const COM_C_AUTHZ_NONE = 0xffff;

/** How the array is laid out for `d`: shared by both wire forms. */
function layout(d: DualStringArray): { array: number[]; securityOffset: number } {
  const a: number[] = [];
  // Each list is "one or more" entries and a zero (2.2.19.1); an empty list is written as one
  // empty entry, which is what makes the spec's smallest array {0,0,0,0} with offset 2.
  if (d.stringBindings.length === 0) a.push(0);
  for (const b of d.stringBindings) {
    // A zero tower id would end the list early.
    if (!isU16(b.towerId) || b.towerId === 0) throw new RangeError(`STRINGBINDING tower id ${b.towerId} is not 1..0xffff`);
    a.push(b.towerId);
    pushText(a, b.networkAddr, 'aNetworkAddr');
  }
  a.push(0);
  const securityOffset = a.length;
  if (d.securityBindings.length === 0) a.push(AUTHN_SVC.none);
  for (const b of d.securityBindings) {
    if (!isU16(b.authnSvc)) throw new RangeError(`SECURITYBINDING authentication service ${b.authnSvc} is not a u16`);
    a.push(b.authnSvc);
    if (b.authnSvc === AUTHN_SVC.none) {
      // Nothing follows RPC_C_AUTHN_NONE on the wire, so a principal would be lost.
      if (b.principal !== '') throw new RangeError('an RPC_C_AUTHN_NONE SECURITYBINDING has no principal name');
      continue;
    }
    if (!isU16(b.authzSvc)) throw new RangeError(`SECURITYBINDING Reserved ${b.authzSvc} is not a u16`);
    a.push(b.authzSvc);
    pushText(a, b.principal, 'aPrincName');
  }
  a.push(0);
  if (a.length > 0xffff) throw new RangeError(`DUALSTRINGARRAY of ${a.length} u16 does not fit wNumEntries`);
  return { array: a, securityOffset };
}

function isU16(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffff;
}

function pushText(out: number[], s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) throw new RangeError(`${what} contains a NUL, which would end it on the wire`);
    out.push(c);
  }
  out.push(0);
}

/** aStringArray for `d`, in u16 units. */
export function toStringArray(d: DualStringArray): number[] {
  return layout(d).array;
}

/** wSecurityOffset for `d`: the index of the first SECURITYBINDING in `toStringArray(d)`. */
export function securityOffset(d: DualStringArray): number {
  return layout(d).securityOffset;
}

/** The value to marshal with the NDR `DUALSTRINGARRAY` type. */
export function toNdrValue(d: DualStringArray): DualStringArrayNdr {
  const { array, securityOffset: wSecurityOffset } = layout(d);
  return { wNumEntries: array.length, wSecurityOffset, aStringArray: array };
}

/** Reads an NDR-decoded DUALSTRINGARRAY; the NDR layer has checked only the array's length. */
export function fromNdrValue(v: DualStringArrayNdr): DualStringArray {
  const a = v.aStringArray;
  if (a.length !== v.wNumEntries) {
    throw new DcomFormatError(`DUALSTRINGARRAY has ${a.length} u16 but wNumEntries ${v.wNumEntries}`);
  }
  for (const x of a) if (!isU16(x)) throw new DcomFormatError(`DUALSTRINGARRAY entry ${x} is not a u16`);
  return parse(a, v.wSecurityOffset);
}

/** The packed form inside an OBJREF: u16 wNumEntries, u16 wSecurityOffset, u16[wNumEntries]. */
export function encodePackedDsa(d: DualStringArray): Buffer {
  const { array, securityOffset: off } = layout(d);
  const out = Buffer.allocUnsafe(4 + 2 * array.length);
  out.writeUInt16LE(array.length, 0);
  out.writeUInt16LE(off, 2);
  for (let i = 0; i < array.length; i++) out.writeUInt16LE(array[i]!, 4 + 2 * i);
  return out;
}

/** Reads a packed DUALSTRINGARRAY at `at`; `size` is the number of bytes it occupies. */
export function decodePackedDsa(buf: Buffer, at = 0): { dsa: DualStringArray; size: number } {
  if (!Number.isInteger(at) || at < 0 || at + 4 > buf.length) {
    throw new DcomFormatError('DUALSTRINGARRAY header runs past the end of the data');
  }
  const n = buf.readUInt16LE(at);
  const off = buf.readUInt16LE(at + 2);
  const size = 4 + 2 * n;
  if (at + size > buf.length) {
    throw new DcomFormatError(`DUALSTRINGARRAY of ${n} u16 runs past the end of the data`);
  }
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = buf.readUInt16LE(at + 4 + 2 * i);
  return { dsa: parse(a, off), size };
}

/**
 * Splits aStringArray at wSecurityOffset and reads each half. Every binding must end inside
 * its half, and each half must end with its zero, so no entry can borrow from the next.
 */
function parse(a: readonly number[], off: number): DualStringArray {
  const n = a.length;
  if (off > n) throw new DcomFormatError(`wSecurityOffset ${off} is past wNumEntries ${n}`);

  const stringBindings: StringBinding[] = [];
  let p = 0;
  for (;;) {
    if (p >= off) throw new DcomFormatError('string bindings have no terminator before wSecurityOffset');
    const towerId = a[p]!;
    if (towerId === 0) break;
    const end = a.indexOf(0, p + 1);
    if (end < 0 || end >= off) throw new DcomFormatError('STRINGBINDING aNetworkAddr is not terminated before wSecurityOffset');
    stringBindings.push({ towerId, networkAddr: text(a, p + 1, end) });
    p = end + 1;
  }
  // Between the terminator and wSecurityOffset only empty STRINGBINDINGs (a zero tower id)
  // may stand: the smallest array has one.
  for (let i = p + 1; i < off; i++) {
    if (a[i] !== 0) throw new DcomFormatError('data between the end of the string bindings and wSecurityOffset');
  }

  const securityBindings: SecurityBinding[] = [];
  const last = n - 1; // the security bindings' terminator
  p = off;
  for (;;) {
    if (p > last) throw new DcomFormatError('security bindings have no terminator');
    const authnSvc = a[p]!;
    if (p === last) {
      if (authnSvc !== 0) throw new DcomFormatError('security bindings have no terminator');
      break;
    }
    if (authnSvc === AUTHN_SVC.none) {
      // RPC_C_AUTHN_NONE carries neither Reserved nor a principal name.
      securityBindings.push({ authnSvc, authzSvc: COM_C_AUTHZ_NONE, principal: '' });
      p += 1;
      continue;
    }
    const end = p + 2 <= last ? a.indexOf(0, p + 2) : -1;
    if (end < 0 || end >= last) throw new DcomFormatError('SECURITYBINDING aPrincName is not terminated before the end');
    securityBindings.push({ authnSvc, authzSvc: a[p + 1]!, principal: text(a, p + 2, end) });
    p = end + 1;
  }
  // A lone RPC_C_AUTHN_NONE binding is how an empty list is written (see layout), and both
  // tell the client to use no security.
  if (securityBindings.length === 1 && securityBindings[0]!.authnSvc === AUTHN_SVC.none) securityBindings.length = 0;
  return { stringBindings, securityBindings };
}

function text(a: readonly number[], from: number, to: number): string {
  // wNumEntries is a u16, so the spread stays well under any argument limit.
  return String.fromCharCode(...a.slice(from, to));
}
