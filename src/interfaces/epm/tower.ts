import { NdrError } from '../../ndr/error.js';
import { readGuid, writeGuid } from '../../ndr/guid.js';
import type { SyntaxId } from '../../dcerpc/pdu/types.js';

/**
 * Protocol towers (C706 appendix L): a floor count, then floors of
 * [lhs length, lhs (protocol id and data), rhs length, rhs]. Lengths and UUID-floor
 * versions are little-endian; the TCP port and IPv4 address are in network order.
 */
export const PROTOCOL_ID = {
  uuid: 0x0d,
  ncacn: 0x0b,
  ncadg: 0x0a,
  tcp: 0x07,
  udp: 0x08,
  ip: 0x09,
  namedPipe: 0x0f,
  netbios: 0x11,
  http: 0x1f,
} as const;

export interface Floor {
  lhs: Buffer;
  rhs: Buffer;
}

/** An ncacn_ip_tcp tower: interface, transfer syntax, RPC connection-oriented, TCP, IP. */
export interface TcpTower {
  iface: SyntaxId;
  transfer: SyntaxId;
  port: number;
  address: string;
}

export function encodeFloors(floors: Floor[]): Buffer {
  let size = 2;
  for (const f of floors) size += 4 + f.lhs.length + f.rhs.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt16LE(floors.length, 0);
  let at = 2;
  for (const f of floors) {
    out.writeUInt16LE(f.lhs.length, at);
    f.lhs.copy(out, at + 2);
    at += 2 + f.lhs.length;
    out.writeUInt16LE(f.rhs.length, at);
    f.rhs.copy(out, at + 2);
    at += 2 + f.rhs.length;
  }
  return out;
}

/** Splits a tower into floors; a tower that lies about a length is bad stub data. */
export function decodeFloors(tower: Buffer): Floor[] {
  if (tower.length < 2) throw new NdrError('tower without a floor count');
  const n = tower.readUInt16LE(0);
  if (n > (tower.length - 2) / 4) throw new NdrError(`tower claims ${n} floors`);
  const floors: Floor[] = [];
  let at = 2;
  for (let i = 0; i < n; i++) {
    if (at + 2 > tower.length) throw new NdrError('tower floor truncated');
    const ll = tower.readUInt16LE(at);
    if (at + 2 + ll + 2 > tower.length) throw new NdrError('tower floor lhs truncated');
    const lhs = tower.subarray(at + 2, at + 2 + ll);
    at += 2 + ll;
    const rl = tower.readUInt16LE(at);
    if (at + 2 + rl > tower.length) throw new NdrError('tower floor rhs truncated');
    const rhs = tower.subarray(at + 2, at + 2 + rl);
    at += 2 + rl;
    floors.push({ lhs, rhs });
  }
  return floors;
}

export function uuidFloor(s: SyntaxId): Floor {
  const lhs = Buffer.allocUnsafe(19);
  lhs[0] = PROTOCOL_ID.uuid;
  writeGuid(lhs, 1, s.uuid);
  lhs.writeUInt16LE(s.major, 17);
  const rhs = Buffer.allocUnsafe(2);
  rhs.writeUInt16LE(s.minor, 0);
  return { lhs, rhs };
}

export function readUuidFloor(f: Floor): SyntaxId | undefined {
  if (f.lhs.length !== 19 || f.lhs[0] !== PROTOCOL_ID.uuid || f.rhs.length < 2) return undefined;
  return { uuid: readGuid(f.lhs, 1), major: f.lhs.readUInt16LE(17), minor: f.rhs.readUInt16LE(0) };
}

export function encodeTcpTower(t: TcpTower): Buffer {
  const port = Buffer.allocUnsafe(2);
  port.writeUInt16BE(t.port, 0);
  const ip = Buffer.from(ipv4Octets(t.address));
  return encodeFloors([
    uuidFloor(t.iface),
    uuidFloor(t.transfer),
    { lhs: Buffer.from([PROTOCOL_ID.ncacn]), rhs: Buffer.from([0, 0]) },
    { lhs: Buffer.from([PROTOCOL_ID.tcp]), rhs: port },
    { lhs: Buffer.from([PROTOCOL_ID.ip]), rhs: ip },
  ]);
}

/** What a map tower asks for: the interface, the transfer syntax and the protocol floors' ids. */
export interface TowerQuery {
  iface: SyntaxId;
  transfer: SyntaxId;
  protocols: number[];
}

export function decodeTowerQuery(tower: Buffer): TowerQuery | undefined {
  const floors = decodeFloors(tower);
  if (floors.length < 3) return undefined;
  const iface = readUuidFloor(floors[0]!);
  const transfer = readUuidFloor(floors[1]!);
  if (!iface || !transfer) return undefined;
  return { iface, transfer, protocols: floors.slice(2).map((f) => f.lhs[0] ?? -1) };
}

/** IPv4 dotted quad → 4 octets; IPv4-mapped IPv6 is unwrapped; anything else is 0.0.0.0. */
export function ipv4Octets(address: string): number[] {
  const a = /^::ffff:/i.test(address) ? address.slice(7) : address;
  const parts = a.split('.');
  // Decimal octets only: Number() would also take '', ' 1', '0x1' and '1e1'.
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return [0, 0, 0, 0];
  const nums = parts.map((p) => Number(p));
  return nums.every((n) => n <= 255) ? nums : [0, 0, 0, 0];
}
