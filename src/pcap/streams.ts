/**
 * What a capture reader hands its consumer: TCP conversations as two ordered byte streams,
 * pushed as they are reassembled, so that a reader never holds a whole capture. The reader
 * (read-capture.ts) produces these; `scmp capture show` (src/capture) consumes them.
 */

/** One end of a TCP conversation. IPv6 addresses in their compressed text form, no brackets. */
export interface TcpEndpoint {
  readonly address: string;
  readonly port: number;
}

/**
 * A TCP conversation (one 4-tuple from SYN, or from its first segment when the capture
 * began later). `client` sent the SYN; without one seen, the side whose port is not a
 * well-known server port (135 first, then the higher port) is taken as the client.
 */
export interface TcpConversation {
  /** 1, 2, … in order of first appearance in the capture. */
  readonly id: number;
  readonly client: TcpEndpoint;
  readonly server: TcpEndpoint;
  /** Whether the capture holds the SYN (the start of both streams is known). */
  readonly sawSyn: boolean;
}

export type StreamDirection = 'toServer' | 'toClient';

/** Where in the file something was found: the packet's number (1-based) and byte offset. */
export interface CapturePlace {
  readonly packet?: number;
  readonly offset?: number;
}

/** Something wrong with the file or a packet: reading goes on where it can. */
export interface CaptureProblem extends CapturePlace {
  readonly message: string;
  /** True when reading stopped here (the rest of the file is not read). */
  readonly fatal: boolean;
}

/** The consumer's side: called in capture order. Times are nanoseconds since the Unix epoch. */
export interface StreamSink {
  /** A new conversation (before any of its data). */
  open(c: TcpConversation, timeNs: bigint): void;
  /** The next in-order bytes of one direction (retransmissions and overlaps already removed). */
  data(c: TcpConversation, dir: StreamDirection, timeNs: bigint, bytes: Buffer): void;
  /**
   * Bytes of one direction that the capture lacks (a lost segment, or a segment beyond the
   * reorder window): the stream goes on after them. `missing` is their count, when known.
   */
  gap(c: TcpConversation, dir: StreamDirection, timeNs: bigint, missing: number | undefined): void;
  /** The conversation ended: FIN (each direction's FIN seen), RST, or the end of the capture. */
  close(c: TcpConversation, timeNs: bigint, how: 'fin' | 'rst' | 'end-of-capture'): void;
  problem(p: CaptureProblem): void;
}

/** What the whole file held. */
export interface CaptureSummary {
  readonly format: 'pcap' | 'pcapng';
  readonly packets: number;
  readonly tcpConversations: number;
  /** Packets not read as TCP over IPv4/IPv6 (other protocols, other link types, fragments). */
  readonly skippedPackets: number;
  /** Reading stopped before the end of the file (a fatal problem was reported). */
  readonly truncated: boolean;
}
