/**
 * Our RPC client with what only tests need: writing any bytes, reading the PDUs no call
 * waited for, and seeing (or altering) each request fragment before it goes out. The
 * library's client keeps none of this.
 */
import type { InOf, MethodDecl, OutOf } from '../../src/dcerpc/interface.js';
import type { Pdu } from '../../src/dcerpc/pdu/types.js';
import { RpcClient, type CallOptions } from '../../src/client/rpc-client.js';

export interface RawCallOptions extends CallOptions {
  /** Sees (and may alter) each request fragment as it goes on the wire: tests of tampering and replay. */
  onFragment?: (pdu: Buffer) => void;
}

export class RawRpcClient extends RpcClient {
  /** PDUs nobody waited for, in arrival order. */
  readonly unsolicited: Pdu[] = [];
  private waiters: Array<(p: Pdu | undefined) => void> = [];
  private tamper: ((pdu: Buffer) => void) | undefined;

  protected override unmatched(pdu: Pdu): void {
    const w = this.waiters.shift();
    if (w) w(pdu);
    else this.unsolicited.push(pdu);
  }

  protected override writeFragment(pdu: Buffer): void {
    this.tamper?.(pdu);
    super.writeFragment(pdu);
  }

  override requestRaw(contextId: number, opnum: number, stub: Buffer, opts: RawCallOptions & { bigEndian?: boolean } = {}) {
    // Fragments are written before requestRaw returns, so the hook covers exactly this call's.
    this.tamper = opts.onFragment;
    try {
      return super.requestRaw(contextId, opnum, stub, opts);
    } finally {
      this.tamper = undefined;
    }
  }

  override call<M extends MethodDecl>(contextId: number, m: M, args: InOf<M>, opts: RawCallOptions = {}): Promise<OutOf<M>> {
    return super.call(contextId, m, args, opts);
  }

  sendRaw(buf: Buffer): void {
    this.socket.write(buf);
  }

  /** The next PDU nobody waited for; undefined once the connection has closed. */
  nextPdu(timeoutMs = 5000): Promise<Pdu | undefined> {
    const queued = this.unsolicited.shift();
    if (queued) return Promise.resolve(queued);
    if (this.socket.destroyed) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error('no PDU within timeout'));
      }, timeoutMs);
      const waiter = (p: Pdu | undefined) => {
        clearTimeout(timer);
        resolve(p);
      };
      this.waiters.push(waiter);
      void this.closedPromise.then(() => waiter(undefined));
    });
  }
}
