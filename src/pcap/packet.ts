/**
 * IPv4 / IPv6 → a TCP segment. Fragments are not reassembled (skipped and counted): an RPC
 * server's segments are far below any path MTU that fragments TCP. Every header length is
 * checked against the bytes captured and the length the IP header declares.
 */
import { IPPROTO_TCP } from './tcp.js';

export interface TcpSegment {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly window: number;
  /** Length of the payload as the IP header declares it. */
  readonly payloadLength: number;
  /** The payload, or undefined when the capture holds less of it than was sent (a gap, not data). */
  readonly payload: Buffer | undefined;
}

export type PacketResult = { readonly segment: TcpSegment } | { readonly skip: string; readonly malformed?: boolean };

const IPV6_EXTENSIONS = new Set([0, 43, 60]);
const IPV6_FRAGMENT = 44;

export function ipv4Text(b: Buffer, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
export function ipv6Text(b: Buffer, at: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(at + 2 * i));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  // IPv4-mapped addresses end in dotted decimal (RFC 5952 §5), as node:net writes them.
  if (bestStart === 0 && bestLen === 5 && g[5] === 0xffff) return `::ffff:${ipv4Text(b, at + 12)}`;
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export function tcpFromIp(ip: Buffer): PacketResult {
  if (ip.length < 1) return { skip: 'empty IP packet', malformed: true };
  const version = ip[0]! >> 4;
  if (version === 4) return fromIpv4(ip);
  if (version === 6) return fromIpv6(ip);
  return { skip: `IP version ${version}`, malformed: true };
}

function fromIpv4(ip: Buffer): PacketResult {
  if (ip.length < 20) return { skip: 'IPv4 header cut short', malformed: true };
  const ihl = (ip[0]! & 0x0f) * 4;
  const total = ip.readUInt16BE(2);
  if (ihl < 20 || ip.length < ihl) return { skip: 'IPv4 header length impossible', malformed: true };
  if (total < ihl) return { skip: 'IPv4 total length shorter than its header', malformed: true };
  const frag = ip.readUInt16BE(6);
  // More fragments, or a fragment offset: part of a fragmented datagram, not reassembled.
  if ((frag & 0x2000) !== 0 || (frag & 0x1fff) !== 0) return { skip: 'IPv4 fragment' };
  if (ip[9] !== IPPROTO_TCP) return { skip: `IP protocol ${ip[9]}` };
  return fromTcp(ipv4Text(ip, 12), ipv4Text(ip, 16), ip.subarray(ihl, Math.min(ip.length, total)), total - ihl);
}

function fromIpv6(ip: Buffer): PacketResult {
  if (ip.length < 40) return { skip: 'IPv6 header cut short', malformed: true };
  const payloadLen = ip.readUInt16BE(4);
  if (payloadLen === 0) return { skip: 'IPv6 jumbogram or empty payload' };
  let next = ip[6]!;
  let at = 40;
  const end = 40 + payloadLen;
  // Hop-by-hop, routing and destination options are skipped by their own lengths.
  for (let n = 0; IPV6_EXTENSIONS.has(next); n++) {
    if (n > 8 || at + 8 > Math.min(ip.length, end)) return { skip: 'IPv6 extension headers cut short or too many', malformed: true };
    const len = (ip[at + 1]! + 1) * 8;
    next = ip[at]!;
    at += len;
  }
  if (next === IPV6_FRAGMENT) return { skip: 'IPv6 fragment' };
  if (next !== IPPROTO_TCP) return { skip: `IP protocol ${next}` };
  if (at > end || at > ip.length) return { skip: 'IPv6 extension headers run past the packet', malformed: true };
  return fromTcp(ipv6Text(ip, 8), ipv6Text(ip, 24), ip.subarray(at, Math.min(ip.length, end)), end - at);
}

/** `tcp` is what was captured of the segment, `declared` its length by the IP header. */
function fromTcp(src: string, dst: string, tcp: Buffer, declared: number): PacketResult {
  if (tcp.length < 20) return { skip: 'TCP header cut short', malformed: true };
  const doff = (tcp[12]! >> 4) * 4;
  if (doff < 20 || doff > declared) return { skip: 'TCP data offset impossible', malformed: true };
  if (doff > tcp.length) return { skip: 'TCP options cut short', malformed: true };
  const payloadLength = declared - doff;
  const captured = tcp.length - doff;
  return {
    segment: {
      src,
      dst,
      srcPort: tcp.readUInt16BE(0),
      dstPort: tcp.readUInt16BE(2),
      seq: tcp.readUInt32BE(4),
      ack: tcp.readUInt32BE(8),
      flags: tcp[13]!,
      window: tcp.readUInt16BE(14),
      payloadLength,
      payload: captured >= payloadLength ? tcp.subarray(doff, doff + payloadLength) : undefined,
    },
  };
}
