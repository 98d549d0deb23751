import type { Socket } from 'node:net';
import type { EndpointInfo } from './registry.js';
import { ServerAssociation, type ConnectionHost } from './server-association.js';
import type { ConnectionTap, TappedConnection } from './tap.js';

export type { ConnectionHost, ConnectionState, RpcStats } from './server-association.js';

/** After ending a connection, how long the peer has to read what we sent before it is cut. */
const END_GRACE_MS = 2000;

/** A connection's local address and port when its listener already knows them (bound to one address). */
export interface LocalEnd {
  address: string;
  port: number;
}

/** Both ends of an accepted connection; the local one from `local` when given, else asked of the socket. */
export function peersOf(socket: Socket, local?: LocalEnd) {
  return {
    localAddress: local ? local.address : (socket.localAddress ?? ''),
    localPort: local ? local.port : (socket.localPort ?? 0),
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
  };
}

/**
 * A TCP connection carrying one association: the thin adapter between a socket and the
 * sans-IO machine (server-association.ts). It owns what only a socket has: reading,
 * backpressure (a peer that does not read its answers is not read from), the idle timeout,
 * and ending or destroying the socket.
 */
export class ServerConnection {
  readonly association: ServerAssociation;
  private paused = false;
  /** The recorder's view of this connection (scmpd --capture), if one listens. */
  private readonly tapped: TappedConnection | undefined;
  private destroyedByUs = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private progressTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
    endpoint: EndpointInfo,
    tap?: ConnectionTap,
    local?: LocalEnd,
  ) {
    const peers = peersOf(socket, local);
    this.tapped = tap?.opened(endpoint.name, peers);
    const tapped = this.tapped;
    this.association = new ServerAssociation(host, endpoint, peers, {
      write: (pdu) => this.write(pdu),
      cork: () => this.socket.cork(),
      uncork: () => this.socket.uncork(),
      end: () => this.end(),
      // A scripted fault's drop: RST, as a crashed host or a cut network; destroy() alone sends FIN.
      reset: () => {
        if (!this.socket.destroyed) this.destroyedByUs = true;
        this.socket.resetAndDestroy();
      },
      ...(tapped ? { securityEstablished: (ctx) => tapped.securityEstablished(ctx) } : {}),
    });
    socket.setNoDelay(true);
    this.armIdle();
    socket.on('data', (d: Buffer) => {
      this.tapped?.received(d);
      if (this.association.closing) return;
      const before = this.association.fragmentsIn;
      this.association.receive(d);
      this.watchProgress(this.association.fragmentsIn !== before);
    });
    socket.on('drain', () => {
      if (this.paused) {
        this.paused = false;
        socket.resume();
      }
    });
    socket.on('error', (e) => host.log.debug('socket error', { conn: this.association.id, error: e.message }));
    socket.on('close', (hadError) => {
      this.clearTimers();
      this.tapped?.closed(hadError || this.destroyedByUs || !socket.readableEnded ? 'reset' : 'fin');
      this.association.transportGone();
    });
  }

  /**
   * The idle timeout counts from the last complete PDU, not the last octet: a peer
   * trickling bytes that never make a PDU does not keep its connection. A call still
   * running keeps the connection (its answer is due).
   */
  private armIdle(): void {
    // Restarting the timer that exists costs less than a new one for every PDU.
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      if (this.association.callsInFlight > 0) return this.armIdle();
      this.timedOut('idle timeout', this.host.settings.idleTimeoutMs);
    }, this.host.settings.idleTimeoutMs);
    this.idleTimer.unref();
  }

  /**
   * The progress timeout: a PDU must be complete progressTimeoutMs after its first octet.
   * Started when octets of an unfinished PDU are held, restarted when a PDU completes and
   * another is begun, stopped when nothing partial is held.
   */
  private watchProgress(completed: boolean): void {
    if (completed) this.armIdle();
    if (this.association.closing || this.association.partialBytes === 0) {
      if (this.progressTimer) clearTimeout(this.progressTimer);
      this.progressTimer = undefined;
      return;
    }
    if (this.progressTimer && !completed) return;
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.progressTimer = setTimeout(() => this.timedOut('progress timeout', this.host.settings.progressTimeoutMs), this.host.settings.progressTimeoutMs);
    this.progressTimer.unref();
  }

  private timedOut(what: string, ms: number): void {
    if (this.socket.destroyed) return;
    const source = this.association.remoteAddress;
    this.host.peerLog?.line('info', what, source, { conn: this.association.id, peer: `${source}:${this.association.remotePort}`, ms });
    this.association.close();
  }

  private clearTimers(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.idleTimer = this.progressTimer = undefined;
  }

  private write(pdu: Buffer): void {
    if (this.socket.destroyed) return;
    this.tapped?.sent(pdu);
    this.socket.write(pdu);
    if (!this.paused && this.socket.writableLength > this.host.settings.maxPendingWriteBytes) {
      // The peer is not reading its answers: stop reading its requests until it does.
      this.paused = true;
      this.socket.pause();
    }
  }

  private end(): void {
    this.socket.end();
    setTimeout(() => {
      if (!this.socket.destroyed) this.destroyedByUs = true;
      this.socket.destroy();
    }, END_GRACE_MS).unref();
  }

  /** Graceful stop: answer the calls in flight, then close. */
  drain(): void {
    this.association.drain();
  }

  destroy(): void {
    if (!this.socket.destroyed) this.destroyedByUs = true;
    this.socket.destroy();
  }
}
