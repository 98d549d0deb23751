/**
 * The client side of DCOM garbage collection (MS-DCOM 3.2.6.1): every ping period, one
 * ping of the set of OIDs the client holds to the host's OXID resolver (IObjectExporter
 * on port 135, the address the client activated through). ComplexPing creates the set and
 * sends its changes; SimplePing when nothing changed. The timer is unref'd: it never keeps
 * a process alive, and stop() ends it. A failed ping is remembered and retried on a new
 * connection at the next period, as the server tolerates missed pings.
 */
import { IObjectExporter } from '../interfaces/oxid/idl.js';
import { RpcClient, type ClientAuth } from './rpc-client.js';

export interface PingerOptions {
  host: string;
  port: number;
  auth: () => ClientAuth;
  periodMs: number;
  timeoutMs: number;
}

export class Pinger {
  private timer: NodeJS.Timeout | undefined;
  private resolver: RpcClient | undefined;
  private setId = 0n;
  private sequence = 0;
  /** What the server's set holds, as last acknowledged. */
  private sent = new Set<bigint>();
  private wanted = new Set<bigint>();
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  /** Pings answered with status 0, and the last failure (for callers and tests). */
  readonly stats = { pings: 0, complexPings: 0, lastError: undefined as unknown };

  constructor(private readonly o: PingerOptions) {}

  /** The OIDs to keep alive from now on. */
  setOids(oids: Set<bigint>): void {
    this.wanted = oids;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.inFlight ??= this.ping().finally(() => (this.inFlight = undefined));
    }, this.o.periodMs);
    this.timer.unref();
  }

  /** One ping now: ComplexPing if the set changed (or does not exist yet), else SimplePing. */
  async ping(): Promise<void> {
    if (this.stopped) return;
    try {
      const r = await this.connection();
      const add = [...this.wanted].filter((o) => !this.sent.has(o));
      const del = [...this.sent].filter((o) => !this.wanted.has(o));
      if (this.setId === 0n || add.length > 0 || del.length > 0) {
        if (this.setId === 0n && add.length === 0) return; // nothing to keep alive yet
        const out = await r.call(0, IObjectExporter.methods.ComplexPing, {
          pSetId: this.setId,
          SequenceNum: (this.sequence = (this.sequence + 1) & 0xffff),
          cAddToSet: add.length,
          cDelFromSet: del.length,
          AddToSet: add.length > 0 ? add : null,
          DelFromSet: del.length > 0 ? del : null,
        });
        if (out.status !== 0) throw new Error(`ComplexPing answered status 0x${out.status.toString(16)}`);
        this.setId = out.pSetId;
        this.sent = new Set(this.wanted);
        this.stats.complexPings++;
      } else {
        const out = await r.call(0, IObjectExporter.methods.SimplePing, { pSetId: this.setId });
        if (out.status !== 0) {
          // The set expired (OR_INVALID_SET): build a new one at the next period.
          this.setId = 0n;
          this.sent = new Set();
          throw new Error(`SimplePing answered status 0x${out.status.toString(16)}`);
        }
      }
      this.stats.pings++;
    } catch (e) {
      this.stats.lastError = e;
      const r = this.resolver;
      this.resolver = undefined;
      await r?.close().catch(() => {});
    }
  }

  private async connection(): Promise<RpcClient> {
    if (this.resolver && !this.resolver.isClosed) return this.resolver;
    const r = await RpcClient.connect(this.o.host, this.o.port, this.o.timeoutMs);
    try {
      await r.bindInterface(IObjectExporter, { auth: this.o.auth() });
    } catch (e) {
      await r.close();
      throw e;
    }
    this.resolver = r;
    return r;
  }

  /** Stops the timer, waits for a ping under way, closes the resolver connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.inFlight;
    await this.resolver?.close();
    this.resolver = undefined;
  }
}
