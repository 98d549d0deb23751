/**
 * TCP segments → per conversation, two ordered byte streams for a StreamSink. Sequence numbers
 * are turned into offsets from each direction's start (wrap-around handled by 32-bit signed
 * distance from the next expected byte); out-of-order segments wait in a bounded buffer; a
 * byte already delivered or already held is never replaced (the first copy wins).
 */
import type { ReadSettings } from './read-settings.js';
import type { StreamDirection, StreamSink, TcpConversation, TcpEndpoint } from './streams.js';
import type { TcpSegment } from './packet.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './tcp.js';

/** Ports taken as the server's when no SYN says who connected (135 first; else the lower port). */
const WELL_KNOWN_SERVER_PORT = 135;

interface Held {
  /** Offset from the direction's start. */
  rel: number;
  len: number;
  /** Undefined: bytes the capture lacks (a segment captured short). */
  bytes: Buffer | undefined;
}

class Direction {
  /** Sequence number of offset 0; undefined until a SYN or a segment with data or FIN is seen. */
  start: number | undefined;
  next = 0;
  held: Held[] = [];
  heldBytes = 0;
  /** Offset just past the FIN, once seen. */
  finAt: number | undefined;

  rel(seq: number): number {
    // Signed 32-bit distance from the next expected byte: right across a wrap-around.
    return this.next + ((seq - ((this.start! + this.next) >>> 0)) | 0);
  }

  get finished(): boolean {
    return this.finAt !== undefined && this.next >= this.finAt;
  }
}

interface State {
  conv: TcpConversation;
  key: string;
  toServer: Direction;
  toClient: Direction;
}

const fmt = (e: TcpEndpoint) => `${e.address.includes(':') ? `[${e.address}]` : e.address}:${e.port}`;

export class TcpReassembler {
  private readonly conversations = new Map<string, State>();
  private nextId = 1;
  /** Conversations opened so far. */
  opened = 0;
  /** Conversations not tracked because `maxConversations` were open. */
  untracked = 0;

  constructor(
    private readonly settings: ReadSettings,
    private readonly sink: StreamSink,
  ) {}

  segment(s: TcpSegment, timeNs: bigint, packet: number): void {
    const a = `${s.src}|${s.srcPort}`;
    const b = `${s.dst}|${s.dstPort}`;
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    let st = this.conversations.get(key);
    const syn = (s.flags & TCP_SYN) !== 0;
    if (st === undefined) {
      // A bare ACK or a stray FIN/RST of a conversation already closed opens nothing.
      if (!syn && s.payloadLength === 0) return;
      if (this.conversations.size >= this.settings.maxConversations) {
        if (this.untracked++ === 0) {
          this.sink.problem({ message: `more than ${this.settings.maxConversations} TCP conversations open at once (maxConversations): further ones are skipped`, packet, fatal: false });
        }
        return;
      }
      st = this.open(key, s, timeNs);
    }
    const toServer = s.src === st.conv.client.address && s.srcPort === st.conv.client.port;
    const dir: StreamDirection = toServer ? 'toServer' : 'toClient';
    const d = toServer ? st.toServer : st.toClient;
    const other = toServer ? st.toClient : st.toServer;
    if (syn) {
      if (d.start === undefined) d.start = (s.seq + 1) >>> 0;
      // The SYN-ACK's acknowledgement is where the client's stream starts, if its SYN was missed.
      if ((s.flags & TCP_ACK) !== 0 && other.start === undefined) other.start = s.ack >>> 0;
    } else if (d.start === undefined && (s.payloadLength > 0 || (s.flags & TCP_FIN) !== 0)) {
      d.start = s.seq;
    }
    if (d.start !== undefined) {
      const rel = d.rel(syn ? (s.seq + 1) >>> 0 : s.seq);
      if (s.payloadLength > 0) this.accept(st, dir, d, rel, s.payloadLength, s.payload, timeNs);
      if ((s.flags & TCP_FIN) !== 0 && d.finAt === undefined) d.finAt = rel + s.payloadLength;
    }
    if ((s.flags & TCP_RST) !== 0) {
      this.close(st, timeNs, 'rst');
      return;
    }
    if (st.toServer.finished && st.toClient.finished) this.close(st, timeNs, 'fin');
  }

  /** The end of the capture: every conversation still open is closed. */
  end(timeNs: bigint): void {
    for (const st of [...this.conversations.values()]) {
      const fin = st.toServer.finAt !== undefined && st.toClient.finAt !== undefined;
      this.close(st, timeNs, fin ? 'fin' : 'end-of-capture');
    }
  }

  private open(key: string, s: TcpSegment, timeNs: bigint): State {
    const src: TcpEndpoint = { address: s.src, port: s.srcPort };
    const dst: TcpEndpoint = { address: s.dst, port: s.dstPort };
    const syn = (s.flags & TCP_SYN) !== 0;
    const ack = (s.flags & TCP_ACK) !== 0;
    let srcIsClient: boolean;
    if (syn) srcIsClient = !ack;
    else if (s.dstPort === WELL_KNOWN_SERVER_PORT) srcIsClient = true;
    else if (s.srcPort === WELL_KNOWN_SERVER_PORT) srcIsClient = false;
    else srcIsClient = s.srcPort > s.dstPort;
    const conv: TcpConversation = {
      id: this.nextId++,
      client: srcIsClient ? src : dst,
      server: srcIsClient ? dst : src,
      sawSyn: syn && !ack,
    };
    const st: State = { conv, key, toServer: new Direction(), toClient: new Direction() };
    this.conversations.set(key, st);
    this.opened++;
    this.sink.open(conv, timeNs);
    return st;
  }

  private accept(st: State, dir: StreamDirection, d: Direction, rel: number, len: number, payload: Buffer | undefined, timeNs: bigint): void {
    let from = rel;
    const to = rel + len;
    if (to <= d.next) return; // a retransmission of what was delivered
    if (from < d.next) from = d.next;
    if (from === d.next && d.held.length === 0) {
      this.deliver(st, dir, d, from, to, payload === undefined ? undefined : payload.subarray(from - rel), timeNs);
    } else if (from === d.next) {
      // Held bytes it overlaps came first and win: keep only the rest, then deliver in order.
      this.hold(d, from, to, payload === undefined ? undefined : payload.subarray(from - rel));
      this.drain(st, dir, d, timeNs);
    } else {
      this.hold(d, from, to, payload === undefined ? undefined : payload.subarray(from - rel));
      while (d.held.length > 0 && (d.heldBytes > this.settings.maxReorderBytes || d.held.length > this.settings.maxReorderSegments)) {
        this.skipToHeld(st, dir, d, timeNs);
      }
    }
  }

  private deliver(st: State, dir: StreamDirection, d: Direction, from: number, to: number, bytes: Buffer | undefined, timeNs: bigint): void {
    if (bytes === undefined) this.sink.gap(st.conv, dir, timeNs, to - from);
    else this.sink.data(st.conv, dir, timeNs, Buffer.from(bytes.subarray(0, to - from)));
    d.next = to;
  }

  /** Keeps the parts of [from, to) not already held (the first copy of a byte wins). */
  private hold(d: Direction, from: number, to: number, bytes: Buffer | undefined): void {
    const pieces: Held[] = [];
    let cur = from;
    for (const h of d.held) {
      if (h.rel + h.len <= cur) continue;
      if (h.rel >= to) break;
      if (h.rel > cur) pieces.push({ rel: cur, len: h.rel - cur, bytes: bytes?.subarray(cur - from, h.rel - from) });
      cur = Math.max(cur, h.rel + h.len);
      if (cur >= to) break;
    }
    if (cur < to) pieces.push({ rel: cur, len: to - cur, bytes: bytes?.subarray(cur - from, to - from) });
    for (const p of pieces) {
      // A copy: the packet's buffer belongs to the file reader.
      const kept: Held = { rel: p.rel, len: p.len, bytes: p.bytes === undefined ? undefined : Buffer.from(p.bytes) };
      let i = d.held.length;
      while (i > 0 && d.held[i - 1]!.rel > p.rel) i--;
      d.held.splice(i, 0, kept);
      if (kept.bytes !== undefined) d.heldBytes += kept.len;
    }
  }

  private drain(st: State, dir: StreamDirection, d: Direction, timeNs: bigint): void {
    while (d.held.length > 0 && d.held[0]!.rel <= d.next) {
      const h = d.held.shift()!;
      if (h.bytes !== undefined) d.heldBytes -= h.len;
      if (h.rel + h.len <= d.next) continue;
      const skip = d.next - h.rel;
      this.deliver(st, dir, d, d.next, h.rel + h.len, h.bytes?.subarray(skip), timeNs);
    }
  }

  /** Gives up on the hole before the first held segment: a gap, then what follows. */
  private skipToHeld(st: State, dir: StreamDirection, d: Direction, timeNs: bigint): void {
    const first = d.held[0]!;
    if (first.rel > d.next) {
      this.sink.gap(st.conv, dir, timeNs, first.rel - d.next);
      d.next = first.rel;
    }
    this.drain(st, dir, d, timeNs);
  }

  private close(st: State, timeNs: bigint, how: 'fin' | 'rst' | 'end-of-capture'): void {
    for (const [dir, d] of [['toServer', st.toServer], ['toClient', st.toClient]] as const) {
      while (d.held.length > 0) this.skipToHeld(st, dir, d, timeNs);
      // Bytes sent before a FIN that the capture never showed.
      if (how !== 'rst' && d.finAt !== undefined && d.finAt > d.next) {
        this.sink.gap(st.conv, dir, timeNs, d.finAt - d.next);
        d.next = d.finAt;
      }
    }
    this.conversations.delete(st.key);
    this.sink.close(st.conv, timeNs, how);
  }

  /** What is held now: for tests of the bounds. */
  held(): { conversations: number; bytes: number; segments: number; maxPerDirection: number } {
    let bytes = 0;
    let segments = 0;
    let maxPerDirection = 0;
    for (const st of this.conversations.values()) {
      for (const d of [st.toServer, st.toClient]) {
        bytes += d.heldBytes;
        segments += d.held.length;
        maxPerDirection = Math.max(maxPerDirection, d.heldBytes);
      }
    }
    return { conversations: this.conversations.size, bytes, segments, maxPerDirection };
  }

  /** For problems: a conversation's name. */
  static describe(c: TcpConversation): string {
    return `${fmt(c.client)} → ${fmt(c.server)}`;
  }
}
