/**
 * Every limit of reading a capture file (`scmp capture show`), each with a safe default: a
 * capture file is untrusted input, so what it may make the reader hold is bounded here.
 */
export interface ReadSettings {
  /** Largest pcapng block or pcap record (header included) believed; beyond it reading stops. */
  readonly maxBlockBytes: number;
  /** Largest snap length honoured: a header asking more is reported and clamped to this. */
  readonly maxSnaplen: number;
  /** TCP conversations tracked at once; further ones are skipped (reported once). */
  readonly maxConversations: number;
  /** Out-of-order bytes held per direction; beyond it the hole is reported as a gap. */
  readonly maxReorderBytes: number;
  /** Out-of-order segments held per direction (bounds the bookkeeping of tiny segments). */
  readonly maxReorderSegments: number;
  /** Interfaces (pcapng IDBs) per section; further ones are ignored (reported). */
  readonly maxInterfaces: number;
  /** Problems passed to the sink; beyond it one more says how many were left unsaid. */
  readonly maxProblems: number;
  /** Bytes read from the file at a time. */
  readonly readChunkBytes: number;
}

export const READ_DEFAULTS: ReadSettings = Object.freeze({
  maxBlockBytes: 256 * 1024,
  maxSnaplen: 256 * 1024,
  maxConversations: 100_000,
  maxReorderBytes: 4 * 1024 * 1024,
  maxReorderSegments: 4096,
  maxInterfaces: 1024,
  maxProblems: 1000,
  readChunkBytes: 64 * 1024,
});

export function readSettings(partial?: Partial<ReadSettings>): ReadSettings {
  return { ...READ_DEFAULTS, ...(partial ?? {}) };
}
