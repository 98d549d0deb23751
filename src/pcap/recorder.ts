/**
 * scmpd's --capture: every TCP conversation the server has, as the pcapng a capture on the
 * wire would have given (the handshake, each chunk read and written as segments with right
 * sequence and acknowledgement numbers, FIN or RST), plus --capture-keys, the NTLM keys of
 * each security context. It is a connection tap (src/dcerpc/tap.ts) by shape only: src/pcap
 * sits below src/dcerpc, so the shape is declared again here. Nothing here ever throws into
 * the server or makes it wait.
 */
import { randomInt } from 'node:crypto';
import { enhancedPacketBlockOf, fileHeader } from './pcapng-writer.js';
import { FileSeries, type CaptureLog } from './file-series.js';
import { ipPacketLength, parseAddress, sameFamily, writeIpPacket, type IpAddress, type OutgoingSegment } from './synthesize.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from './tcp.js';

export type { CaptureLog } from './file-series.js';

/** The connection's addresses as the server's socket reports them. */
export interface CapturePeers {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export interface CapturedSecurityContext {
  readonly authContextId: number;
  readonly authType: number;
  readonly authLevel: number;
  readonly ntlm?: { readonly exportedSessionKey: Buffer; readonly negotiateFlags: number };
}

export interface CapturedConnection {
  received(data: Buffer): void;
  sent(data: Buffer): void;
  securityEstablished(ctx: CapturedSecurityContext): void;
  closed(how: 'fin' | 'reset'): void;
}

export interface CaptureSettings {
  /** Largest TCP payload per synthesized segment: Ethernet's MSS, as a Windows peer on a LAN sees. */
  readonly maxSegmentBytes: number;
  /** A capture file is closed and the next of the series begun before it passes this size. */
  readonly maxFileBytes: number;
  /** All capture files together; capture stops before passing it. */
  readonly totalBytes: number;
  /** Capture bytes queued for the disk; beyond it the disk does not keep up and capture stops. */
  readonly maxQueueBytes: number;
}

const MiB = 1024 * 1024;
export const DEFAULT_CAPTURE_SETTINGS: CaptureSettings = {
  maxSegmentBytes: 1460,
  maxFileBytes: 100 * MiB,
  totalBytes: 1024 * MiB,
  maxQueueBytes: 16 * MiB,
};

/** The bound on the keys log's queue (its lines are a few hundred bytes). */
const KEYS_QUEUE_BYTES = 1 * MiB;
/** TTL / hop limit of synthesized packets: Windows' default (128) for both ends. */
const TTL = 128;
/** Advertised window (no window scaling is shown). */
const WINDOW = 65535;
/** Largest IP header + TCP header with the MSS option. */
const HEADERS = 40 + 24;

/** The smallest file that holds its header and the largest segment: sizes below it are refused. */
export function minFileBytes(maxSegmentBytes: number): number {
  return fileHeader('scmpd').length + 32 + HEADERS + maxSegmentBytes + 3;
}

export interface CaptureRecorderOptions {
  file: string;
  keysFile?: string;
  settings?: Partial<CaptureSettings>;
  log: CaptureLog;
}

/** host:port, IPv6 bracketed, as the keys log names an end. */
function endName(addr: IpAddress, port: number): string {
  if (addr.length === 4) return `${[...addr].join('.')}:${port}`;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(addr.readUInt16BE(i).toString(16));
  return `${new URL(`http://[${words.join(':')}]/`).hostname}:${port}`;
}

/** A connection's state: its ends and where each direction's sequence numbers are. */
class Conversation implements CapturedConnection {
  private clientSeq = randomInt(0, 2 ** 32 - 1);
  private serverSeq = randomInt(0, 2 ** 32 - 1);
  private clientIpId = randomInt(0, 0xffff);
  private serverIpId = randomInt(0, 0xffff);
  private done = false;

  constructor(
    private readonly rec: CaptureRecorder,
    private readonly endpoint: string,
    private readonly client: IpAddress,
    private readonly clientPort: number,
    private readonly server: IpAddress,
    private readonly serverPort: number,
  ) {
    const mss = rec.settings.maxSegmentBytes;
    const synSeq = this.clientSeq;
    const synAckSeq = this.serverSeq;
    this.clientSeq = (this.clientSeq + 1) >>> 0;
    this.serverSeq = (this.serverSeq + 1) >>> 0;
    this.emit([
      this.packet(true, synSeq, 0, TCP_SYN, Buffer.alloc(0), mss),
      this.packet(false, synAckSeq, this.clientSeq, TCP_SYN | TCP_ACK, Buffer.alloc(0), mss),
      this.packet(true, this.clientSeq, this.serverSeq, TCP_ACK, Buffer.alloc(0)),
    ]);
  }

  received(data: Buffer): void {
    this.data(true, data);
  }

  sent(data: Buffer): void {
    this.data(false, data);
  }

  securityEstablished(ctx: CapturedSecurityContext): void {
    if (!ctx.ntlm) return; // nothing a reader could use
    this.rec.keyLine({
      time: new Date().toISOString(),
      endpoint: this.endpoint,
      client: endName(this.client, this.clientPort),
      server: endName(this.server, this.serverPort),
      authContextId: ctx.authContextId,
      authType: ctx.authType,
      authLevel: ctx.authLevel,
      exportedSessionKey: ctx.ntlm.exportedSessionKey.toString('hex'),
      negotiateFlags: `0x${(ctx.ntlm.negotiateFlags >>> 0).toString(16).padStart(8, '0')}`,
    });
  }

  closed(how: 'fin' | 'reset'): void {
    if (this.done) return;
    this.done = true;
    const none = Buffer.alloc(0);
    if (how === 'reset') {
      this.emit([this.packet(false, this.serverSeq, this.clientSeq, TCP_RST | TCP_ACK, none)]);
      return;
    }
    // The client closed first (the server saw its end of stream), then the server's FIN.
    const cFin = this.clientSeq;
    this.clientSeq = (this.clientSeq + 1) >>> 0;
    const sFin = this.serverSeq;
    this.serverSeq = (this.serverSeq + 1) >>> 0;
    this.emit([
      this.packet(true, cFin, sFin, TCP_FIN | TCP_ACK, none),
      this.packet(false, sFin, this.clientSeq, TCP_FIN | TCP_ACK, none),
      this.packet(true, this.clientSeq, this.serverSeq, TCP_ACK, none),
    ]);
  }

  /** One direction's bytes, in segments no larger than the MSS; the last one pushed. */
  private data(fromClient: boolean, data: Buffer): void {
    if (this.done || data.length === 0) return;
    const max = this.rec.settings.maxSegmentBytes;
    const packets: OutgoingSegment[] = [];
    for (let off = 0; off < data.length; off += max) {
      const chunk = data.subarray(off, Math.min(off + max, data.length));
      const last = off + max >= data.length;
      const seq = fromClient ? this.clientSeq : this.serverSeq;
      const ack = fromClient ? this.serverSeq : this.clientSeq;
      packets.push(this.packet(fromClient, seq, ack, TCP_ACK | (last ? TCP_PSH : 0), chunk));
      if (fromClient) this.clientSeq = (this.clientSeq + chunk.length) >>> 0;
      else this.serverSeq = (this.serverSeq + chunk.length) >>> 0;
    }
    this.emit(packets);
  }

  private packet(fromClient: boolean, seq: number, ack: number, flags: number, payload: Buffer, mss?: number): OutgoingSegment {
    const ipId = fromClient ? this.clientIpId++ : this.serverIpId++;
    return {
      src: fromClient ? this.client : this.server,
      dst: fromClient ? this.server : this.client,
      srcPort: fromClient ? this.clientPort : this.serverPort,
      dstPort: fromClient ? this.serverPort : this.clientPort,
      seq,
      ack,
      flags,
      window: WINDOW,
      ipId,
      ttl: TTL,
      payload,
      ...(mss !== undefined ? { mss } : {}),
    };
  }

  private emit(packets: OutgoingSegment[]): void {
    if (!this.rec.capturing) {
      this.done = true;
      return;
    }
    const t = this.rec.now();
    this.rec.write(packets.map((p) => enhancedPacketBlockOf(t, ipPacketLength(p), (b, at) => writeIpPacket(p, b, at))));
  }
}

/** A tap that does nothing: handed out once capture has stopped. */
const IDLE: CapturedConnection = { received() {}, sent() {}, securityEstablished() {}, closed() {} };

export class CaptureRecorder {
  readonly settings: CaptureSettings;
  private readonly series: FileSeries;
  private readonly keys: FileSeries | undefined;
  private readonly log: CaptureLog;
  /** Nanoseconds since the epoch = base + a monotonic clock (Date.now alone has milliseconds). */
  private readonly base = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

  /** Opens the capture file (and the keys file): a path that cannot be written throws here. */
  constructor(opts: CaptureRecorderOptions) {
    this.settings = { ...DEFAULT_CAPTURE_SETTINGS, ...opts.settings };
    const s = this.settings;
    if (!(s.maxSegmentBytes >= 1 && s.maxSegmentBytes <= 65495 - 24)) throw new RangeError(`maxSegmentBytes must be 1 to ${65495 - 24}`);
    const min = minFileBytes(s.maxSegmentBytes);
    if (s.maxFileBytes < min) throw new RangeError(`the capture file size limit must be at least ${min} bytes`);
    if (s.totalBytes < min) throw new RangeError(`the capture total size limit must be at least ${min} bytes`);
    this.log = opts.log;
    this.series = new FileSeries(opts.file, s, fileHeader('scmpd'), opts.log, 'capture');
    try {
      this.keys = opts.keysFile === undefined ? undefined : new FileSeries(opts.keysFile, { maxFileBytes: Infinity, totalBytes: Infinity, maxQueueBytes: KEYS_QUEUE_BYTES }, Buffer.alloc(0), opts.log, 'capture keys log');
    } catch (e) {
      void this.series.close();
      throw e;
    }
  }

  /** The files written so far, in order. */
  get files(): readonly string[] {
    return this.series.files;
  }

  get capturing(): boolean {
    return this.series.active;
  }

  now(): bigint {
    return this.base + process.hrtime.bigint();
  }

  opened(endpoint: string, peers: CapturePeers): CapturedConnection {
    if (!this.capturing) return IDLE;
    try {
      const [client, server] = sameFamily(addressOf(peers.remoteAddress), addressOf(peers.localAddress));
      return new Conversation(this, endpoint, client, peers.remotePort, server, peers.localPort);
    } catch (e) {
      this.log.warn('capture cannot record a connection', { error: (e as Error).message });
      return IDLE;
    }
  }

  /** @internal One connection's packets, kept together in one file. */
  write(blocks: Buffer[]): void {
    this.series.append(...blocks);
  }

  /** @internal */
  keyLine(line: Record<string, unknown>): void {
    this.keys?.append(Buffer.from(`${JSON.stringify(line)}\n`));
  }

  /** Writes what is queued and closes the files, so each ends on a whole block. */
  async close(): Promise<void> {
    await Promise.all([this.series.close(), this.keys?.close()]);
  }
}

/** A socket's address; one already gone ('' from Node) is shown as the unspecified address. */
function addressOf(text: string): IpAddress {
  return text === '' ? Buffer.alloc(4) : parseAddress(text);
}
