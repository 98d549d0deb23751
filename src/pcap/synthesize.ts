/**
 * IPv4/IPv6 and TCP headers for segments a capture shows but no kernel handed us: the
 * recorder sees bytes on a socket, the file needs packets. Lengths and checksums are the real
 * ones (RFC 791, RFC 8200, RFC 9293), so any reader that verifies them finds them right.
 */
import { isIPv4, isIPv6 } from 'node:net';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** An address as 4 (IPv4) or 16 (IPv6) bytes. */
export type IpAddress = Buffer;

/** One TCP segment as the recorder describes it; the header fields a reader looks at. */
export interface TcpSegment {
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

/** RFC 1071's sum of 16-bit words (not yet complemented), over several buffers in a row. */
function sum16(parts: Buffer[], initial = 0): number {
  let sum = initial;
  let odd: number | undefined;
  for (const p of parts) {
    let i = 0;
    if (odd !== undefined && p.length > 0) {
      sum += (odd << 8) | p[0]!;
      odd = undefined;
      i = 1;
    }
    for (; i + 1 < p.length; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
    if (i < p.length) odd = p[i]!;
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The Internet checksum of `parts`. */
export function internetChecksum(parts: Buffer[]): number {
  return ~sum16(parts) & 0xffff;
}

function tcpHeader(s: TcpSegment): Buffer {
  const optLen = s.mss !== undefined ? 4 : 0;
  const h = Buffer.alloc(TCP_HEADER + optLen);
  h.writeUInt16BE(s.srcPort, 0);
  h.writeUInt16BE(s.dstPort, 2);
  h.writeUInt32BE(s.seq >>> 0, 4);
  h.writeUInt32BE(s.flags & TCP_ACK ? s.ack >>> 0 : 0, 8);
  h[12] = ((TCP_HEADER + optLen) / 4) << 4;
  h[13] = s.flags;
  h.writeUInt16BE(s.window, 14);
  if (s.mss !== undefined) {
    h[20] = 2; // kind: Maximum Segment Size
    h[21] = 4;
    h.writeUInt16BE(s.mss, 22);
  }
  return h;
}

/** The whole IP packet (header, TCP header, payload) with every length and checksum filled. */
export function ipPacket(s: TcpSegment): Buffer {
  const tcp = tcpHeader(s);
  const tcpLength = tcp.length + s.payload.length;
  let ip: Buffer;
  let pseudo: Buffer;
  if (s.src.length === 4) {
    ip = Buffer.alloc(IPV4_HEADER);
    ip[0] = 0x45;
    ip.writeUInt16BE(IPV4_HEADER + tcpLength, 2);
    ip.writeUInt16BE(s.ipId & 0xffff, 4);
    ip.writeUInt16BE(0x4000, 6); // Don't Fragment, as every TCP stack sets it
    ip[8] = s.ttl;
    ip[9] = 6;
    s.src.copy(ip, 12);
    s.dst.copy(ip, 16);
    ip.writeUInt16BE(internetChecksum([ip]), 10);
    pseudo = Buffer.alloc(12);
    s.src.copy(pseudo, 0);
    s.dst.copy(pseudo, 4);
    pseudo[9] = 6;
    pseudo.writeUInt16BE(tcpLength, 10);
  } else {
    ip = Buffer.alloc(IPV6_HEADER);
    ip[0] = 0x60;
    ip.writeUInt16BE(tcpLength, 4);
    ip[6] = 6;
    ip[7] = s.ttl;
    s.src.copy(ip, 8);
    s.dst.copy(ip, 24);
    pseudo = Buffer.alloc(40);
    s.src.copy(pseudo, 0);
    s.dst.copy(pseudo, 16);
    pseudo.writeUInt32BE(tcpLength, 32);
    pseudo[39] = 6;
  }
  tcp.writeUInt16BE(internetChecksum([pseudo, tcp, s.payload]), 16);
  return Buffer.concat([ip, tcp, s.payload]);
}

/** The largest TCP payload that keeps an IP packet within 65535 bytes (IPv4 total length). */
export const MAX_TCP_PAYLOAD = 65535 - IPV4_HEADER - TCP_HEADER;
