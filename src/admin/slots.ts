/**
 * The admin API's connection slots (issue 18, defect 4). A connection is first a stranger:
 * it has not yet shown the token (it is still sending its headers, or was answered 401).
 * Strangers share a small pool of their own; when it is full, the OLDEST stranger is closed
 * to let the new one in, so connections that sit there (slowloris, kept topped up by a
 * process without the token) can delay nobody: a newcomer always gets a slot, and a real
 * client's headers arrive long before it would be the oldest. A connection whose request
 * carried the valid token moves to the administrator's pool, which strangers never take.
 *
 * Every socket is counted in exactly one pool from accept to close, so the process holds at
 * most maxStrangers + maxTrusted admin connections, whatever arrives.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';

/** Closes and counts; logs at most once per `everyMs` with the count since the last line. */
class RefusalLog {
  private last = -Infinity;
  private quiet = 0;
  constructor(
    private readonly log: Logger | undefined,
    private readonly everyMs: number,
  ) {}

  note(msg: string, fields: Record<string, unknown>): void {
    const now = Date.now();
    if (now - this.last < this.everyMs) {
      this.quiet++;
      return;
    }
    this.log?.warn(msg, { ...fields, ...(this.quiet > 0 ? { alsoSince: this.quiet } : {}) });
    this.last = now;
    this.quiet = 0;
  }
}

export interface SlotSettings {
  /** Connections not yet shown the token; the oldest is closed for a newcomer. */
  maxStrangers: number;
  /** Connections that have shown the token. */
  maxTrusted: number;
  /** At most one log line per this many milliseconds for each kind of closing. */
  logEveryMs: number;
}

export class AdminSlots {
  // A Set keeps insertion order: its first element is the oldest.
  private readonly strangers = new Set<Socket>();
  private readonly trusted = new Set<Socket>();
  private readonly strangerLog: RefusalLog;
  private readonly trustedLog: RefusalLog;

  constructor(
    private readonly s: SlotSettings,
    log?: Logger,
  ) {
    this.strangerLog = new RefusalLog(log, s.logEveryMs);
    this.trustedLog = new RefusalLog(log, s.logEveryMs);
  }

  /** A new connection: a stranger, making room by closing the oldest stranger if need be. */
  admit(socket: Socket): void {
    socket.once('close', () => {
      this.strangers.delete(socket);
      this.trusted.delete(socket);
    });
    if (this.strangers.size >= this.s.maxStrangers) {
      const oldest = this.strangers.values().next().value as Socket;
      this.strangers.delete(oldest);
      this.strangerLog.note('admin connection closed to make room: it had not shown the token', {
        client: oldest.remoteAddress,
        slots: this.s.maxStrangers,
      });
      oldest.destroy();
    }
    this.strangers.add(socket);
  }

  /** The connection's request carried the valid token: it leaves the strangers' pool. */
  trust(socket: Socket): void {
    if (this.trusted.has(socket) || socket.destroyed) return;
    this.strangers.delete(socket);
    if (this.trusted.size >= this.s.maxTrusted) {
      // Only token holders are here: the administrator's own oldest connection goes.
      const oldest = this.trusted.values().next().value as Socket;
      this.trusted.delete(oldest);
      this.trustedLog.note('admin connection closed: too many with the token at once', { client: oldest.remoteAddress, slots: this.s.maxTrusted });
      oldest.destroy();
    }
    this.trusted.add(socket);
  }

  /** Connections held now, for tests and for the limits' own check. */
  counts(): { strangers: number; trusted: number } {
    return { strangers: this.strangers.size, trusted: this.trusted.size };
  }
}
