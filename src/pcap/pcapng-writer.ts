/**
 * pcapng blocks as written by the recorder (draft-ietf-opsawg-pcapng): a Section Header
 * Block, one Interface Description Block, Enhanced Packet Blocks. Little endian, as the
 * machines this runs on; readers take either order from the byte-order magic.
 */
import { BYTE_ORDER_MAGIC, EPB_TYPE, IDB_TYPE, SHB_TYPE } from './pcapng-blocks.js';

/** LINKTYPE_RAW: each packet starts at its IP header; readers tell IPv4 from IPv6 by the version nibble. */
export const LINKTYPE_RAW = 101;
const OPT_ENDOFOPT = 0;
const SHB_USERAPPL = 4;
const IF_TSRESOL = 9;

const pad4 = (n: number) => (4 - (n % 4)) % 4;

/** One option: code, length, value padded to 4 bytes. */
function option(code: number, value: Buffer): Buffer {
  const b = Buffer.alloc(4 + value.length + pad4(value.length));
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(value.length, 2);
  value.copy(b, 4);
  return b;
}

/** A block: type, total length, body, total length again (body already a multiple of 4). */
function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const b = Buffer.alloc(total);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(total, 4);
  body.copy(b, 8);
  b.writeUInt32LE(total, total - 4);
  return b;
}

/** The Section Header Block: version 1.0, section length unknown (-1) as the file is written as it goes. */
export function sectionHeaderBlock(userAppl?: string): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  fixed.writeUInt16LE(1, 4);
  fixed.writeUInt16LE(0, 6);
  fixed.writeBigInt64LE(-1n, 8);
  const opts = userAppl === undefined ? [] : [option(SHB_USERAPPL, Buffer.from(userAppl, 'utf8')), option(OPT_ENDOFOPT, Buffer.alloc(0))];
  return block(SHB_TYPE, Buffer.concat([fixed, ...opts]));
}

/** The one interface: raw IP, no snap length limit (0), nanosecond timestamps (if_tsresol 9). */
export function interfaceDescriptionBlock(linkType = LINKTYPE_RAW): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(linkType, 0);
  fixed.writeUInt32LE(0, 4);
  return block(IDB_TYPE, Buffer.concat([fixed, option(IF_TSRESOL, Buffer.from([9])), option(OPT_ENDOFOPT, Buffer.alloc(0))]));
}

/** One packet on interface 0, captured whole, at `timeNs` nanoseconds since the epoch. */
export function enhancedPacketBlock(timeNs: bigint, packet: Buffer, interfaceId = 0): Buffer {
  const body = Buffer.alloc(20 + packet.length + pad4(packet.length));
  body.writeUInt32LE(interfaceId, 0);
  body.writeUInt32LE(Number((timeNs >> 32n) & 0xffffffffn), 4);
  body.writeUInt32LE(Number(timeNs & 0xffffffffn), 8);
  body.writeUInt32LE(packet.length, 12);
  body.writeUInt32LE(packet.length, 16);
  packet.copy(body, 20);
  return block(EPB_TYPE, body);
}

/** What every file of a series begins with, so that each opens alone. */
export function fileHeader(userAppl?: string): Buffer {
  return Buffer.concat([sectionHeaderBlock(userAppl), interfaceDescriptionBlock()]);
}

/** The size of an EPB holding `packetLength` bytes. */
export const epbSize = (packetLength: number) => 32 + packetLength + pad4(packetLength);

/** An EPB whose packet `fill` writes in place at the offset given (no copy of the packet). */
export function enhancedPacketBlockOf(timeNs: bigint, packetLength: number, fill: (block: Buffer, at: number) => void, interfaceId = 0): Buffer {
  const total = epbSize(packetLength);
  const b = Buffer.allocUnsafe(total);
  b.writeUInt32LE(EPB_TYPE, 0);
  b.writeUInt32LE(total, 4);
  b.writeUInt32LE(interfaceId, 8);
  b.writeUInt32LE(Number((timeNs >> 32n) & 0xffffffffn), 12);
  b.writeUInt32LE(Number(timeNs & 0xffffffffn), 16);
  b.writeUInt32LE(packetLength, 20);
  b.writeUInt32LE(packetLength, 24);
  fill(b, 28);
  b.fill(0, 28 + packetLength, total - 4);
  b.writeUInt32LE(total, total - 4);
  return b;
}
