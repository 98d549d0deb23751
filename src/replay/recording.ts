/**
 * A capture read as the replay needs it: every recorded call in the order its request was
 * sent (conversations interleaved as recorded), numbered within its conversation, with the
 * arguments as NDR decoded them (src/capture's DecodedCall.requestArgs) to be encoded again.
 */
import type { CaptureNote, DecodedCall } from '../capture/calls.js';
import { decodeCaptureFile } from '../capture/decode.js';
import type { CaptureCredentials } from '../capture/keys.js';
import type { CaptureSummary } from '../pcap/streams.js';

export interface RecordedCall {
  /** 1-based, in request order over the whole capture. */
  index: number;
  /** 1-based within its conversation. */
  sequence: number;
  call: DecodedCall;
}

export interface Recording {
  calls: RecordedCall[];
  notes: CaptureNote[];
  summary: CaptureSummary;
}

/** Reads and decodes a capture; throws when the file cannot be read at all. */
export async function readRecording(path: string, keys: CaptureCredentials): Promise<Recording> {
  const got: DecodedCall[] = [];
  const notes: CaptureNote[] = [];
  const summary = await decodeCaptureFile(path, { keys, onCall: (c) => got.push(c), onNote: (n) => notes.push(n) });
  return { calls: orderCalls(got), notes, summary };
}

/** Calls sorted by when their request was sent (calls without one: by their response). */
export function orderCalls(got: readonly DecodedCall[]): RecordedCall[] {
  const at = (c: DecodedCall) => c.requestTimeNs ?? c.responseTimeNs ?? 0n;
  const sorted = got.map((c, i) => ({ c, i })).sort((a, b) => (at(a.c) < at(b.c) ? -1 : at(a.c) > at(b.c) ? 1 : a.i - b.i));
  const perConversation = new Map<number, number>();
  return sorted.map(({ c }, i) => {
    const sequence = (perConversation.get(c.conversation) ?? 0) + 1;
    perConversation.set(c.conversation, sequence);
    return { index: i + 1, sequence, call: c };
  });
}
