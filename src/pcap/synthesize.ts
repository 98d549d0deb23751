/**
 * IPv4/IPv6 and TCP headers for segments a capture shows but no kernel handed us: the
 * recorder sees bytes on a socket, the file needs packets. Lengths and checksums are the real
 * ones (RFC 791, RFC 8200, RFC 9293), so any reader that verifies them finds them right.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { IPPROTO_TCP, TCP_ACK } from './tcp.js';

/** An address as 4 (IPv4) or 16 (IPv6) bytes. */
export type IpAddress = Buffer;

/** One TCP segment as the recorder describes it; the header fields a reader looks at. */
export interface OutgoingSegment {
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  /** IPv4 identification (ignored for IPv6). */
  readonly ipId: number;
  /** TTL or hop limit. */
  readonly ttl: number;
  readonly payload: Buffer;
  /** MSS option (SYN and SYN-ACK only): what a reader expects to see in a handshake. */
  readonly mss?: number;
}

const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const TCP_HEADER = 20;

/**
 * An address as Node reports it ('127.0.0.1', '::1', '::ffff:10.0.0.1', 'fe80::1%lo'),
 * as bytes. IPv4-mapped IPv6 stays 16 bytes: `sameFamily` decides whether to unmap.
 */
export function parseAddress(text: string): IpAddress {
  const t = text.replace(/%.*$/, '');
  if (isIPv4(t)) return Buffer.from(t.split('.').map(Number));
  if (!isIPv6(t)) throw new TypeError(`not an IP address: "${text}"`);
  let tail: number[] = [];
  let body = t;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    body = t.slice(0, t.length - v4[1]!.length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const [head, rest] = body.split('::') as [string, string | undefined];
  const words = (s: string) => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
  const h = words(head);
  const r = rest === undefined ? [] : [...words(rest)];
  const all = rest === undefined ? [...h, ...tail] : [...h, ...new Array<number>(8 - h.length - r.length - tail.length).fill(0), ...r, ...tail];
  const out = Buffer.alloc(16);
  all.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  return out;
}

const MAPPED_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

/** Both ends in one family: IPv4-mapped IPv6 pairs become IPv4; a mixed pair becomes IPv6. */
export function sameFamily(a: IpAddress, b: IpAddress): [IpAddress, IpAddress] {
  const mapped = (x: IpAddress) => x.length === 16 && x.subarray(0, 12).equals(MAPPED_PREFIX);
  const unmap = (x: IpAddress) => (x.length === 16 ? x.subarray(12) : x);
  const map = (x: IpAddress) => (x.length === 4 ? Buffer.concat([MAPPED_PREFIX, x]) : x);
  if ((a.length === 4 || mapped(a)) && (b.length === 4 || mapped(b))) return [unmap(a), unmap(b)];
  return [map(a), map(b)];
}

/** RFC 1071's sum of the 16-bit words of buf[from, to) (not folded, not complemented), starting at an even offset. */
function sumWords(buf: Buffer, from: number, to: number, initial = 0): number {
  let sum = initial;
  let i = from;
  for (; i + 1 < to; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < to) sum += buf[i]! << 8;
  return sum;
}

const fold = (sum: number) => {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
};

/** The Internet checksum of `parts` laid end to end. */
export function internetChecksum(parts: Buffer[]): number {
  const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return ~fold(sumWords(all, 0, all.length)) & 0xffff;
}

/** The IP packet's length for this segment. */
export function ipPacketLength(s: OutgoingSegment): number {
  return (s.src.length === 4 ? IPV4_HEADER : IPV6_HEADER) + TCP_HEADER + (s.mss !== undefined ? 4 : 0) + s.payload.length;
}

/**
 * Writes the whole IP packet (header, TCP header, payload) at `out[at]` with every length and
 * checksum filled, in place: the recorder writes each segment straight into its block.
 */
export function writeIpPacket(s: OutgoingSegment, out: Buffer, at: number): number {
  const v4 = s.src.length === 4;
  const ipLen = v4 ? IPV4_HEADER : IPV6_HEADER;
  const tcpHeaderLen = TCP_HEADER + (s.mss !== undefined ? 4 : 0);
  const tcpLength = tcpHeaderLen + s.payload.length;
  out.fill(0, at, at + ipLen + tcpHeaderLen);
  let pseudo: number;
  if (v4) {
    out[at] = 0x45;
    out.writeUInt16BE(IPV4_HEADER + tcpLength, at + 2);
    out.writeUInt16BE(s.ipId & 0xffff, at + 4);
    out.writeUInt16BE(0x4000, at + 6); // Don't Fragment, as every TCP stack sets it
    out[at + 8] = s.ttl;
    out[at + 9] = IPPROTO_TCP;
    s.src.copy(out, at + 12);
    s.dst.copy(out, at + 16);
    out.writeUInt16BE(~fold(sumWords(out, at, at + IPV4_HEADER)) & 0xffff, at + 10);
    // Pseudo-header: the addresses, zero, protocol 6, the TCP length.
    pseudo = sumWords(out, at + 12, at + 20, 6 + tcpLength);
  } else {
    out[at] = 0x60;
    out.writeUInt16BE(tcpLength, at + 4);
    out[at + 6] = IPPROTO_TCP;
    out[at + 7] = s.ttl;
    s.src.copy(out, at + 8);
    s.dst.copy(out, at + 24);
    // Pseudo-header: the addresses, the 32-bit upper-layer length, zeros, next header 6.
    pseudo = sumWords(out, at + 8, at + 40, (tcpLength >>> 16) + (tcpLength & 0xffff) + 6);
  }
  const t = at + ipLen;
  out.writeUInt16BE(s.srcPort, t);
  out.writeUInt16BE(s.dstPort, t + 2);
  out.writeUInt32BE(s.seq >>> 0, t + 4);
  out.writeUInt32BE(s.flags & TCP_ACK ? s.ack >>> 0 : 0, t + 8);
  out[t + 12] = (tcpHeaderLen / 4) << 4;
  out[t + 13] = s.flags;
  out.writeUInt16BE(s.window, t + 14);
  if (s.mss !== undefined) {
    out[t + 20] = 2; // kind: Maximum Segment Size
    out[t + 21] = 4;
    out.writeUInt16BE(s.mss, t + 22);
  }
  s.payload.copy(out, t + tcpHeaderLen);
  out.writeUInt16BE(~fold(sumWords(out, t, t + tcpLength, pseudo)) & 0xffff, t + 16);
  return ipLen + tcpLength;
}

/** The whole IP packet (header, TCP header, payload) with every length and checksum filled. */
export function ipPacket(s: OutgoingSegment): Buffer {
  const out = Buffer.alloc(ipPacketLength(s));
  writeIpPacket(s, out, 0);
  return out;
}

/** The largest TCP payload that keeps an IP packet within 65535 bytes (IPv4 total length). */
export const MAX_TCP_PAYLOAD = 65535 - IPV4_HEADER - TCP_HEADER;
