/**
 * What a capture decoder holds at most, per conversation and overall: every limit a named
 * setting with a safe default (docs/limits.md). A capture is untrusted input.
 */
export interface DecoderLimits {
  /** The largest frag_length taken as a PDU (65535 is all a u16 can say). */
  maxFragmentSize: number;
  /** A call's stub, all fragments together; beyond it the call is reported undecoded. */
  maxStubSize: number;
  /** Fragments of one call. */
  maxFragmentsPerCall: number;
  /** Requests waiting for their response on one conversation; the oldest is reported without one beyond it. */
  maxPendingCalls: number;
  /** Security contexts (auth_context_id) followed per conversation. */
  maxAuthContexts: number;
  /** Presentation contexts followed per conversation. */
  maxPresentationContexts: number;
  /** Octets scanned for a first PDU header before a conversation is taken as no DCE/RPC. */
  maxHuntBytes: number;
  /** RC4 keystream regenerated to recover a sealed stream after a gap. */
  maxRecoveryKeystream: number;
  /** IPIDs remembered across the capture. */
  maxIpids: number;
}

export const DEFAULT_DECODER_LIMITS: DecoderLimits = {
  maxFragmentSize: 65535,
  maxStubSize: 16 * 1024 * 1024,
  maxFragmentsPerCall: 4096,
  maxPendingCalls: 256,
  maxAuthContexts: 64,
  maxPresentationContexts: 1024,
  maxHuntBytes: 64 * 1024,
  maxRecoveryKeystream: 64 * 1024 * 1024,
  maxIpids: 65536,
};
