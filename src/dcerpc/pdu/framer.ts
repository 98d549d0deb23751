import { COMMON_HEADER_SIZE } from '../constants.js';
import { PduError } from './error.js';
import { readHeader } from './parser.js';

/**
 * A frag_length the stream cannot be cut by. It carries the fragments completed before the
 * bad header (they still deserve answers) and the bad header's call_id.
 */
export class FramingError extends PduError {
  constructor(
    message: string,
    readonly complete: Buffer[],
    readonly callId: number,
  ) {
    super(message);
  }
}

/**
 * Cuts a TCP byte stream into fragments by frag_length. It holds at most one partial
 * fragment, never more than `maxFragment` bytes, so a peer cannot make it buffer without
 * bound; a frag_length outside [16, maxFragment] is an error before anything is kept.
 */
export class PduFramer {
  private chunks: Buffer[] = [];
  private held = 0;
  /** The largest fragment accepted; the connection lowers it to the negotiated max_recv_frag. */
  maxFragment: number;

  constructor(maxFragment: number) {
    this.maxFragment = maxFragment;
  }

  get buffered(): number {
    return this.held;
  }

  /** Feeds bytes; returns the complete fragments they finish, in order. */
  push(data: Buffer): Buffer[] {
    this.chunks.push(data);
    this.held += data.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.held < COMMON_HEADER_SIZE) break;
      const { fragLength: len, callId } = readHeader(this.peek(COMMON_HEADER_SIZE));
      if (len < COMMON_HEADER_SIZE) throw new FramingError(`frag_length ${len} is shorter than the header`, out, callId);
      if (len > this.maxFragment) throw new FramingError(`frag_length ${len} exceeds the limit of ${this.maxFragment}`, out, callId);
      if (this.held < len) break;
      out.push(this.take(len));
    }
    return out;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks);
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.held -= n;
    return out;
  }
}
