/**
 * pcap and pcapng, read incrementally: bytes are fed in chunks and every complete record is
 * handed on at once, so at most one block (bounded by `maxBlockBytes`) is ever held. Every
 * length is checked before it is used; what cannot be trusted stops reading with a fatal
 * problem (nothing after a lying length can be framed).
 */
import type { CaptureProblem } from './streams.js';
import type { ReadSettings } from './read-settings.js';
import { BYTE_ORDER_MAGIC as BOM, EPB_TYPE as EPB, IDB_TYPE as IDB, PB_TYPE as PB, PCAP_MAGIC_NS as PCAP_NS, PCAP_MAGIC_US as PCAP_US, SHB_TYPE as SHB, SPB_TYPE as SPB } from './pcapng-blocks.js';

/** One captured packet as the file holds it. */
export interface CapturedPacket {
  /** 1-based, in file order. */
  readonly number: number;
  /** File offset of its record or block. */
  readonly offset: number;
  /** pcapng interface index (0 for pcap). */
  readonly interfaceIndex: number;
  readonly linkType: number;
  /** Nanoseconds since the Unix epoch. */
  readonly timeNs: bigint;
  /** The captured bytes; only valid during the callback (copy to keep). */
  readonly data: Buffer;
  readonly originalLength: number;
}

export interface FileReaderEvents {
  packet(p: CapturedPacket): void;
  problem(p: CaptureProblem): void;
}

interface Interface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second as a ratio: ns = ts * mul / div. */
  mul: bigint;
  div: bigint;
  offsetNs: bigint;
}

/** Sniffs the format from the first bytes; undefined when not (yet) known. */
export function sniffFormat(head: Buffer): 'pcap' | 'pcapng' | 'unknown' {
  if (head.length < 4) return 'unknown';
  const le = head.readUInt32LE(0);
  const be = head.readUInt32BE(0);
  if (be === SHB) return 'pcapng';
  if (le === PCAP_US || le === PCAP_NS || be === PCAP_US || be === PCAP_NS) return 'pcap';
  return 'unknown';
}

export class CaptureFileReader {
  format: 'pcap' | 'pcapng' | undefined;
  /** A fatal problem was reported: the rest is ignored. */
  stopped = false;
  packets = 0;
  private pending: Buffer = Buffer.alloc(0);
  /** File offset of pending[0]. */
  private base = 0;
  private le = true;
  // pcap
  private pcapHeaderRead = false;
  private pcapIface: Interface | undefined;
  // pcapng
  private interfaces: Interface[] = [];
  private lastTimeNs = 0n;

  constructor(
    private readonly settings: ReadSettings,
    private readonly events: FileReaderEvents,
  ) {}

  /** Feeds the next bytes of the file. */
  feed(chunk: Buffer): void {
    if (this.stopped) return;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let pos = 0;
    while (!this.stopped) {
      const used = this.step(this.pending, pos);
      if (used === 0) break;
      pos += used;
    }
    this.base += pos;
    this.pending = this.stopped ? Buffer.alloc(0) : this.pending.subarray(pos);
  }

  /** The file ended: leftover bytes are a truncated record. */
  finish(): void {
    if (this.stopped) return;
    if (this.format === undefined) {
      this.fatal(this.pending.length === 0 ? 'the file is empty' : 'the file is too short to be a pcap or pcapng file', this.base);
    } else if (this.format === 'pcap' && !this.pcapHeaderRead) {
      this.fatal('the file ends inside the pcap file header', this.base);
    } else if (this.pending.length > 0) {
      this.fatal(`the file ends inside a ${this.format === 'pcap' ? 'record' : 'block'} (${this.pending.length} bytes left over: truncated)`, this.base);
    }
  }

  private fatal(message: string, offset: number): void {
    this.stopped = true;
    this.events.problem({ message, offset, fatal: true });
  }

  private warn(message: string, offset: number, packet?: number): void {
    this.events.problem({ message, offset, packet, fatal: false });
  }

  /** Reads one unit at `pos`: returns the bytes used, 0 when more are needed (or stopped). */
  private step(b: Buffer, pos: number): number {
    const avail = b.length - pos;
    if (this.format === undefined) {
      if (avail < 4) return 0;
      const f = sniffFormat(b.subarray(pos, pos + 4));
      if (f === 'unknown') {
        this.fatal(`not a pcap or pcapng file (magic 0x${b.readUInt32BE(pos).toString(16).padStart(8, '0')})`, this.base + pos);
        return 0;
      }
      this.format = f;
    }
    return this.format === 'pcap' ? this.stepPcap(b, pos, avail) : this.stepPcapng(b, pos, avail);
  }

  // ---- pcap ----

  private stepPcap(b: Buffer, pos: number, avail: number): number {
    const off = this.base + pos;
    if (!this.pcapHeaderRead) {
      if (avail < 24) return 0;
      const le = b.readUInt32LE(pos);
      this.le = le === PCAP_US || le === PCAP_NS;
      const magic = this.le ? le : b.readUInt32BE(pos);
      const snaplen = this.u32(b, pos + 16);
      // The top bits of the link-type field carry FCS information (pcap's LinkType and additional info).
      const linkType = this.u32(b, pos + 20) & 0xffff;
      this.pcapIface = { linkType, snaplen: this.clampSnaplen(snaplen, off), mul: magic === PCAP_NS ? 1n : 1000n, div: 1n, offsetNs: 0n };
      this.pcapHeaderRead = true;
      return 24;
    }
    if (avail < 16) return 0;
    const iface = this.pcapIface!;
    const caplen = this.u32(b, pos + 8);
    const origlen = this.u32(b, pos + 12);
    if (16 + caplen > this.settings.maxBlockBytes) {
      this.fatal(`packet record of ${caplen} captured bytes is over the limit of ${this.settings.maxBlockBytes} (maxBlockBytes): the file cannot be read further`, off);
      return 0;
    }
    if (avail < 16 + caplen) return 0;
    const sec = BigInt(this.u32(b, pos));
    const frac = BigInt(this.u32(b, pos + 4));
    const number = ++this.packets;
    if (caplen > iface.snaplen) this.warn(`packet has ${caplen} captured bytes, more than the snap length ${iface.snaplen}`, off, number);
    this.events.packet({
      number,
      offset: off,
      interfaceIndex: 0,
      linkType: iface.linkType,
      timeNs: sec * 1_000_000_000n + frac * iface.mul,
      data: b.subarray(pos + 16, pos + 16 + caplen),
      originalLength: origlen,
    });
    return 16 + caplen;
  }

  private clampSnaplen(snaplen: number, off: number): number {
    if (snaplen === 0) return this.settings.maxSnaplen;
    if (snaplen > this.settings.maxSnaplen) {
      this.warn(`snap length ${snaplen} is over the limit of ${this.settings.maxSnaplen} (maxSnaplen): packets longer than that are not believed`, off);
      return this.settings.maxSnaplen;
    }
    return snaplen;
  }

  private u32(b: Buffer, at: number): number {
    return this.le ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }

  private u16(b: Buffer, at: number): number {
    return this.le ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }

  // ---- pcapng ----

  private stepPcapng(b: Buffer, pos: number, avail: number): number {
    const off = this.base + pos;
    if (avail < 12) return 0;
    const typeRaw = b.readUInt32BE(pos);
    if (typeRaw === SHB) {
      // A section's byte order is set by its own byte-order magic, read before its length.
      const bom = b.readUInt32LE(pos + 8);
      if (bom === BOM) this.le = true;
      else if (bom === 0x4d3c2b1a) this.le = false;
      else {
        this.fatal(`section header block with a bad byte-order magic 0x${b.readUInt32BE(pos + 8).toString(16)}`, off);
        return 0;
      }
    }
    const type = this.u32(b, pos);
    const len = this.u32(b, pos + 4);
    if (len < 12 || len % 4 !== 0) {
      this.fatal(`block of type 0x${type.toString(16)} has an impossible length ${len}: the file cannot be read further`, off);
      return 0;
    }
    if (len > this.settings.maxBlockBytes) {
      this.fatal(`block of type 0x${type.toString(16)} is ${len} bytes, over the limit of ${this.settings.maxBlockBytes} (maxBlockBytes): the file cannot be read further`, off);
      return 0;
    }
    if (avail < len) return 0;
    const trailer = this.u32(b, pos + len - 4);
    if (trailer !== len) {
      this.fatal(`block of type 0x${type.toString(16)} says ${len} bytes at its start and ${trailer} at its end: the file cannot be read further`, off);
      return 0;
    }
    const body = b.subarray(pos + 8, pos + len - 4);
    switch (type) {
      case SHB:
        if (body.length < 16) {
          this.fatal('section header block too short', off);
          return 0;
        }
        this.interfaces = [];
        break;
      case IDB:
        this.readIdb(body, off);
        break;
      case EPB:
        this.readEpb(body, off);
        break;
      case SPB:
        this.readSpb(body, off);
        break;
      case PB:
        this.readPb(body, off);
        break;
      default:
        // Name resolution, statistics, decryption secrets, custom blocks: not needed here.
        break;
    }
    return len;
  }

  private readIdb(body: Buffer, off: number): void {
    if (body.length < 8) {
      this.warn('interface description block too short: ignored', off);
      this.interfaces.push({ linkType: -1, snaplen: 0, mul: 1000n, div: 1n, offsetNs: 0n });
      return;
    }
    if (this.interfaces.length >= this.settings.maxInterfaces) {
      this.warn(`more than ${this.settings.maxInterfaces} interfaces (maxInterfaces): this one is ignored`, off);
      return;
    }
    const iface: Interface = { linkType: this.u16(body, 0), snaplen: this.clampSnaplen(this.u32(body, 4), off), mul: 1000n, div: 1n, offsetNs: 0n };
    let p = 8;
    while (p + 4 <= body.length) {
      const code = this.u16(body, p);
      const olen = this.u16(body, p + 2);
      if (code === 0) break;
      if (p + 4 + olen > body.length) {
        this.warn('interface option runs past its block: the remaining options are ignored', off);
        break;
      }
      const v = body.subarray(p + 4, p + 4 + olen);
      if (code === 9 && olen === 1) {
        // if_tsresol: top bit clear → 10^-n seconds, set → 2^-n seconds.
        const n = v[0]! & 0x7f;
        if (v[0]! & 0x80) {
          iface.mul = 1_000_000_000n;
          iface.div = 1n << BigInt(n);
        } else if (n <= 9) {
          iface.mul = 10n ** BigInt(9 - n);
          iface.div = 1n;
        } else {
          iface.mul = 1n;
          iface.div = 10n ** BigInt(n - 9);
        }
      } else if (code === 14 && olen === 8) {
        // if_tsoffset: seconds added to every timestamp of the interface.
        const s = this.le ? v.readBigInt64LE(0) : v.readBigInt64BE(0);
        iface.offsetNs = s * 1_000_000_000n;
      }
      p += 4 + olen + ((4 - (olen % 4)) % 4);
    }
    this.interfaces.push(iface);
  }

  private iface(index: number, off: number, number: number): Interface | undefined {
    const i = this.interfaces[index];
    if (i === undefined) this.warn(`packet names interface ${index}, which the section does not describe: skipped`, off, number);
    else if (i.linkType < 0) return undefined;
    return i;
  }

  private time(i: Interface, hi: number, lo: number): bigint {
    const ts = (BigInt(hi) << 32n) | BigInt(lo);
    return (ts * i.mul) / i.div + i.offsetNs;
  }

  private emit(off: number, index: number, hi: number, lo: number, data: Buffer, declared: number, origlen: number, bodyRoom: number, timed: boolean): void {
    const number = ++this.packets;
    const i = this.iface(index, off, number);
    if (i === undefined) return;
    if (declared > bodyRoom) {
      this.warn(`packet says ${declared} captured bytes but its block holds ${bodyRoom}: skipped`, off, number);
      return;
    }
    const timeNs = timed ? this.time(i, hi, lo) : this.lastTimeNs;
    this.lastTimeNs = timeNs;
    this.events.packet({ number, offset: off, interfaceIndex: index, linkType: i.linkType, timeNs, data: data.subarray(0, declared), originalLength: origlen });
  }

  private readEpb(body: Buffer, off: number): void {
    if (body.length < 20) {
      this.warn('enhanced packet block too short: skipped', off, ++this.packets);
      return;
    }
    const caplen = this.u32(body, 12);
    this.emit(off, this.u32(body, 0), this.u32(body, 4), this.u32(body, 8), body.subarray(20), caplen, this.u32(body, 16), body.length - 20, true);
  }

  private readPb(body: Buffer, off: number): void {
    if (body.length < 20) {
      this.warn('packet block too short: skipped', off, ++this.packets);
      return;
    }
    const caplen = this.u32(body, 12);
    this.emit(off, this.u16(body, 0), this.u32(body, 4), this.u32(body, 8), body.subarray(20), caplen, this.u32(body, 16), body.length - 20, true);
  }

  private readSpb(body: Buffer, off: number): void {
    if (body.length < 4) {
      this.warn('simple packet block too short: skipped', off, ++this.packets);
      return;
    }
    const origlen = this.u32(body, 0);
    // A simple packet block has no captured length: the original length cut by the first interface's snap length.
    const snaplen = this.interfaces[0]?.snaplen ?? this.settings.maxSnaplen;
    const caplen = Math.min(origlen, snaplen || origlen, body.length - 4);
    this.emit(off, 0, 0, 0, body.subarray(4), caplen, origlen, body.length - 4, false);
  }
}
