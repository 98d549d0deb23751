/**
 * One DCE/RPC call as read from a capture: what `scmp capture show` prints (text or --json).
 * Request and response are paired by call_id on their connection; argument values are left
 * as the NDR decoders return them (bigint, Buffer, GUID strings, nested objects).
 */
export interface DecodedCall {
  /** TcpConversation.id. */
  conversation: number;
  /** "addr:port", "[v6]:port". */
  client: string;
  server: string;
  callId: number;
  requestTimeNs?: bigint;
  responseTimeNs?: bigint;
  contextId: number;
  /** From the presentation context the bind or alter_context set up. */
  interface?: { name: string; uuid: string; version: string };
  /** The request's object UUID (DCOM: the IPID), if any. */
  object?: string;
  /** What the IPID was learnt to be (activation, RemQueryInterface, a returned OBJREF). */
  objectInterface?: string;
  /** -1 when the request is not in the capture (a response names no opnum). */
  opnum: number;
  method?: string;
  authType?: number;
  authLevel?: number;
  /**
   * none: no per-PDU protection; decrypted: sealed, and the verifier matched; verified:
   * signed, and the verifier matched; no-key: nothing to check or decrypt it with;
   * bad-key: a key was at hand but the verifier does not match (a wrong password).
   */
  protection: 'none' | 'decrypted' | 'verified' | 'no-key' | 'bad-key';
  /** Decoded in-args (field names from the IDL), or why not. */
  request?: unknown;
  /**
   * The in-args exactly as NDR decoded them, before MInterfacePointers are expanded: what
   * `scmp replay` encodes again (not printed by capture show).
   */
  requestArgs?: unknown;
  requestError?: string;
  /** Decoded out-args including the return value, or why not. */
  response?: unknown;
  responseError?: string;
  fault?: { status: number; name: string };
  /** The method's HRESULT / error_status_t return, by name (src/status). */
  status?: { value: number; name: string };
  /** Gaps, resynchronisations, missing halves. */
  notes?: string[];
}

/** Something about a conversation rather than a call (a gap, a stream that is not DCE/RPC). */
export interface CaptureNote {
  conversation: number;
  timeNs?: bigint;
  message: string;
}

/** "addr:port", with IPv6 addresses in brackets, as in the key file. */
export function endpointText(e: { address: string; port: number }): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}
