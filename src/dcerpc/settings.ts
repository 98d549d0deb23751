/**
 * Every limit the RPC runtime enforces, with its safe default. A peer that exceeds one
 * gets the protocol's answer (bind_nak, fault, or a clean close), never unbounded memory.
 */
export interface RpcSettings {
  /**
   * Largest fragment we receive or send. Windows negotiates
   * max(minFragmentSize, min(client xmit, client recv)) capped at this, rounded down to 8,
   * and accepts incoming fragments up to this size whatever was negotiated.
   */
  maxFragmentSize: number;
  /** Floor of the negotiated fragment size: smaller proposals are raised to it, as Windows does. */
  minFragmentSize: number;
  /** Largest request stub after reassembly of its fragments. */
  maxRequestSize: number;
  /** Largest response stub a method may produce (fragmented on the way out). */
  maxResponseSize: number;
  /** Presentation contexts one connection may hold. */
  maxContextsPerConnection: number;
  /** Security contexts (auth_context_id) one connection may hold. */
  maxAuthContextsPerConnection: number;
  /** Context handles one association group may hold open. */
  maxContextHandlesPerAssociation: number;
  /** Calls being reassembled or executed at once on one connection. */
  maxCallsInFlight: number;
  /** Connections the server holds at once; further ones are closed on accept. */
  maxConnections: number;
  /**
   * Request stub octets held in reassembly by all connections together. A fragment that
   * would pass it gets its call refused (fault nca_s_server_too_busy); the connection stays.
   */
  maxReassemblyBytesTotal: number;
  /** Connections one client address may hold; further ones from it are reset on accept. */
  maxConnectionsPerSource: number;
  /** Calls (arriving or running) one client address may have on all its connections together. */
  maxCallsInFlightPerSource: number;
  /** A connection that completes no PDU for this long is closed (bytes that never make a PDU do not count). */
  idleTimeoutMs: number;
  /** A PDU must be complete this long after its first octet arrived, or the connection is closed (slow senders). */
  progressTimeoutMs: number;
  /** Lines one message logs per client address per window, for peers not authenticated. */
  logLinesPerSource: number;
  /** The window of logLinesPerSource. */
  logRateWindowMs: number;
  /** Response bytes queued on a socket before we stop reading from that peer. */
  maxPendingWriteBytes: number;
  /** How long a graceful stop waits for calls in flight before closing sockets. */
  shutdownGraceMs: number;
}

export const DEFAULT_RPC_SETTINGS: Readonly<RpcSettings> = {
  maxFragmentSize: 5840,
  minFragmentSize: 2048,
  maxRequestSize: 4 * 1024 * 1024,
  maxResponseSize: 16 * 1024 * 1024,
  maxContextsPerConnection: 64,
  maxContextHandlesPerAssociation: 1024,
  maxAuthContextsPerConnection: 32,
  maxCallsInFlight: 32,
  maxConnections: 4096,
  maxReassemblyBytesTotal: 64 * 1024 * 1024,
  maxConnectionsPerSource: 256,
  maxCallsInFlightPerSource: 256,
  idleTimeoutMs: 15 * 60 * 1000,
  progressTimeoutMs: 30 * 1000,
  logLinesPerSource: 10,
  logRateWindowMs: 60 * 1000,
  maxPendingWriteBytes: 8 * 1024 * 1024,
  shutdownGraceMs: 5000,
};
