/**
 * A capture's DCE/RPC calls: a StreamSink (src/pcap/streams.ts) that reads every TCP
 * conversation as a DCE/RPC connection and reports each call, request and response paired,
 * decoded by the project's IDL declarations, decrypted where the credentials allow.
 */
import type { CaptureProblem, CaptureSummary, StreamDirection, StreamSink, TcpConversation } from '../pcap/streams.js';
import type { CaptureNote, DecodedCall } from './calls.js';
import { IpidMap } from './ipids.js';
import { KeyRing, type CaptureCredentials } from './keys.js';
import { DEFAULT_DECODER_LIMITS, type DecoderLimits } from './limits.js';
import { CaptureSession } from './session.js';

export interface CaptureDecoderOptions {
  keys?: CaptureCredentials;
  onCall(c: DecodedCall): void;
  /** Conversation-level notes (gaps, streams that are not DCE/RPC) and the reader's problems. */
  onNote?(n: CaptureNote): void;
  limits?: Partial<DecoderLimits>;
}

export class CaptureDecoder implements StreamSink {
  readonly limits: DecoderLimits;
  private readonly keys: KeyRing;
  private readonly ipids: IpidMap;
  private readonly sessions = new Map<number, CaptureSession>();
  private readonly shared;

  constructor(private readonly opts: CaptureDecoderOptions) {
    this.limits = { ...DEFAULT_DECODER_LIMITS, ...opts.limits };
    this.keys = new KeyRing(opts.keys);
    this.ipids = new IpidMap(this.limits.maxIpids);
    const note = (n: CaptureNote) => opts.onNote?.(n);
    this.shared = { keys: this.keys, ipids: this.ipids, limits: this.limits, emit: (c: DecodedCall) => opts.onCall(c), note };
    for (const p of this.keys.problems) note({ conversation: 0, message: p });
  }

  private session(c: TcpConversation): CaptureSession {
    let s = this.sessions.get(c.id);
    if (!s) {
      s = new CaptureSession(c, this.shared);
      this.sessions.set(c.id, s);
    }
    return s;
  }

  open(c: TcpConversation, _timeNs: bigint): void {
    this.session(c);
  }

  data(c: TcpConversation, dir: StreamDirection, timeNs: bigint, bytes: Buffer): void {
    this.session(c).data(dir, timeNs, bytes);
  }

  gap(c: TcpConversation, dir: StreamDirection, timeNs: bigint, missing: number | undefined): void {
    this.session(c).gap(dir, timeNs, missing);
  }

  close(c: TcpConversation, timeNs: bigint, how: 'fin' | 'rst' | 'end-of-capture'): void {
    const s = this.sessions.get(c.id);
    if (!s) return;
    this.sessions.delete(c.id);
    s.close(timeNs, how);
  }

  problem(p: CaptureProblem): void {
    const where = p.packet !== undefined ? ` (packet ${p.packet})` : p.offset !== undefined ? ` (offset ${p.offset})` : '';
    this.opts.onNote?.({ conversation: 0, message: `${p.fatal ? 'reading stopped: ' : ''}${p.message}${where}` });
  }

  /** Ends every conversation still open (a reader that stops without closing them). */
  finish(timeNs = 0n): void {
    for (const [id, s] of [...this.sessions]) {
      this.sessions.delete(id);
      s.close(timeNs, 'end-of-capture');
    }
  }
}

/**
 * Reads a capture file (pcap or pcapng) and decodes its calls. The file reader is loaded
 * when called, so that this module does not depend on it otherwise.
 */
export async function decodeCaptureFile(path: string, opts: CaptureDecoderOptions): Promise<CaptureSummary> {
  const decoder = new CaptureDecoder(opts);
  const mod = (await import('../pcap/read-capture.js')) as { readCaptureFile(path: string, sink: StreamSink, ...rest: unknown[]): Promise<CaptureSummary> | CaptureSummary };
  const summary = await mod.readCaptureFile(path, decoder);
  decoder.finish();
  return summary;
}
