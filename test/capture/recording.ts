/**
 * Real bytes without a capture file: a connection tap (src/dcerpc/tap.ts) that records every
 * connection's chunks both ways, in the order the server saw them, with the key-file lines
 * of its security contexts; and a replay of such a recording into a StreamSink.
 */
import type { ConnectionTap, TappedConnection } from '../../src/dcerpc/tap.js';
import type { PeerAddresses } from '../../src/dcerpc/server-association.js';
import type { StreamSink, TcpConversation } from '../../src/pcap/streams.js';
import { CaptureDecoder } from '../../src/capture/decode.js';
import type { CaptureNote, DecodedCall } from '../../src/capture/calls.js';
import type { CaptureCredentials } from '../../src/capture/keys.js';

export type RecordedEvent =
  | { kind: 'open'; conv: TcpConversation; timeNs: bigint }
  | { kind: 'toServer' | 'toClient'; conv: TcpConversation; timeNs: bigint; data: Buffer }
  | { kind: 'close'; conv: TcpConversation; timeNs: bigint; how: 'fin' | 'reset' };

export class Recording {
  readonly events: RecordedEvent[] = [];
  /** Key-file lines (issue 14's format), one per established context. */
  readonly keyLines: string[] = [];
  private nextId = 1;
  private tick = 0n;

  /** Times are strictly increasing, so that order is all a test relies on. */
  private now(): bigint {
    const t = process.hrtime.bigint();
    this.tick = t > this.tick ? t : this.tick + 1n;
    return this.tick;
  }

  opened(endpoint: string, peers: PeerAddresses): TappedConnection {
    const conv: TcpConversation = {
      id: this.nextId++,
      client: { address: peers.remoteAddress, port: peers.remotePort },
      server: { address: peers.localAddress, port: peers.localPort },
      sawSyn: true,
    };
    const text = (a: string, p: number) => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
    this.events.push({ kind: 'open', conv, timeNs: this.now() });
    return {
      received: (data) => this.events.push({ kind: 'toServer', conv, timeNs: this.now(), data: Buffer.from(data) }),
      sent: (data) => this.events.push({ kind: 'toClient', conv, timeNs: this.now(), data: Buffer.from(data) }),
      securityEstablished: (ctx) => {
        if (!ctx.ntlm) return;
        this.keyLines.push(
          JSON.stringify({
            time: new Date().toISOString(),
            endpoint,
            client: text(peers.remoteAddress, peers.remotePort),
            server: text(peers.localAddress, peers.localPort),
            authContextId: ctx.authContextId,
            authType: ctx.authType,
            authLevel: ctx.authLevel,
            exportedSessionKey: ctx.ntlm.exportedSessionKey.toString('hex'),
            negotiateFlags: `0x${(ctx.ntlm.negotiateFlags >>> 0).toString(16).padStart(8, '0')}`,
          }),
        );
      },
      closed: (how) => this.events.push({ kind: 'close', conv, timeNs: this.now(), how }),
    };
  }
}

/** A tap that records into whichever recording is current (one server serves many tests). */
export function recordingTap(): { tap: ConnectionTap; start(): Recording } {
  let current = new Recording();
  return {
    tap: { opened: (endpoint, peers) => current.opened(endpoint, peers) },
    start: () => (current = new Recording()),
  };
}

/** Feeds a recording into a sink as a capture reader would. */
export function replay(events: readonly RecordedEvent[], sink: StreamSink): void {
  for (const e of events) {
    if (e.kind === 'open') sink.open(e.conv, e.timeNs);
    else if (e.kind === 'close') sink.close(e.conv, e.timeNs, e.how === 'reset' ? 'rst' : 'fin');
    else sink.data(e.conv, e.kind, e.timeNs, e.data);
  }
}

/** Decodes a recording: every call, and the notes. */
export function decodeRecording(events: readonly RecordedEvent[], keys?: CaptureCredentials): { calls: DecodedCall[]; notes: CaptureNote[] } {
  const calls: DecodedCall[] = [];
  const notes: CaptureNote[] = [];
  const d = new CaptureDecoder({ keys, onCall: (c) => calls.push(c), onNote: (n) => notes.push(n) });
  replay(events, d);
  d.finish();
  return { calls, notes };
}
