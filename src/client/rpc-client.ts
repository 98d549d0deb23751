import * as net from 'node:net';
import type { InOf, InterfaceDecl, MethodDecl, OutOf } from '../dcerpc/interface.js';
import { NDR20_SYNTAX, PFC, RESULT } from '../dcerpc/constants.js';
import { PduFramer } from '../dcerpc/pdu/framer.js';
import { stubFragments } from '../dcerpc/pdu/fragment.js';
import { isLittleEndian, parsePdu } from '../dcerpc/pdu/parser.js';
import { encodeBind, encodeRequest } from '../dcerpc/pdu/serializer.js';
import type { BindAckPdu, BindNakPdu, ContextResult, Pdu, SyntaxId } from '../dcerpc/pdu/types.js';
import { ndrDecode, ndrEncode } from '../ndr/index.js';
import type { Guid } from '../ndr/guid.js';

/** The server answered a call with a fault PDU. */
export class RpcFaultError extends Error {
  constructor(
    readonly status: number,
    readonly flags: number,
  ) {
    super(`RPC fault 0x${status.toString(16).padStart(8, '0')}`);
    this.name = 'RpcFaultError';
  }
}

/** The server refused the bind outright. */
export class BindNakError extends Error {
  constructor(readonly reason: number) {
    super(`bind_nak, reason ${reason}`);
    this.name = 'BindNakError';
  }
}

export interface ContextProposal {
  contextId: number;
  abstractSyntax: SyntaxId;
  transferSyntaxes?: SyntaxId[];
}

export interface BindOptions {
  maxXmitFrag?: number;
  maxRecvFrag?: number;
  assocGroupId?: number;
}

export interface CallOptions {
  object?: Guid;
}

interface Pending {
  resolve(stub: Buffer, littleEndian: boolean): void;
  reject(e: Error): void;
  chunks: Buffer[];
}

export function syntaxOf(iface: InterfaceDecl): SyntaxId {
  return { uuid: iface.uuid, major: iface.major, minor: iface.minor };
}

/**
 * A connection-oriented DCE/RPC client over the same codecs the server uses: bind and
 * alter_context, calls of any size (fragmented to the negotiated size both ways), several
 * calls in flight at once, faults surfaced as RpcFaultError.
 */
export class RpcClient {
  private readonly framer = new PduFramer(0xffff);
  private nextCallId = 1;
  private readonly pending = new Map<number, Pending>();
  private bindWaiter: { resolve(p: BindAckPdu | BindNakPdu): void; reject(e: Error): void } | undefined;
  private closed = false;
  private closeError: Error | undefined;
  /** PDUs nobody waited for (kept for tests that speak raw PDUs). */
  readonly unsolicited: Pdu[] = [];
  private rawWaiters: Array<(p: Pdu | undefined) => void> = [];
  /** Fragments received, and the largest (tests check the server's fragmentation). */
  readonly stats = { fragments: 0, largestFragment: 0 };
  maxXmitFrag = 5840;
  maxRecvFrag = 5840;
  assocGroupId = 0;
  secondaryAddress = '';
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.onClose();
        resolve();
      });
    });
    socket.on('error', (e) => {
      this.closeError = e;
    });
  }

  static connect(host: string, port: number, timeoutMs = 10_000): Promise<RpcClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(new RpcClient(s));
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onData(d: Buffer): void {
    let frags: Buffer[];
    try {
      frags = this.framer.push(d);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    for (const f of frags) {
      let pdu: Pdu;
      try {
        pdu = parsePdu(f);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      this.onPdu(pdu);
    }
  }

  private onPdu(pdu: Pdu): void {
    this.stats.fragments++;
    this.stats.largestFragment = Math.max(this.stats.largestFragment, pdu.header.fragLength);
    const id = pdu.header.callId;
    if ((pdu.type === 'bind_ack' || pdu.type === 'alter_context_resp' || pdu.type === 'bind_nak') && this.bindWaiter) {
      const w = this.bindWaiter;
      this.bindWaiter = undefined;
      w.resolve(pdu);
      return;
    }
    const p = this.pending.get(id);
    if (p && pdu.type === 'response') {
      p.chunks.push(pdu.stub);
      if (pdu.header.flags & PFC.LAST_FRAG) {
        this.pending.delete(id);
        const stub = p.chunks.length === 1 ? p.chunks[0]! : Buffer.concat(p.chunks);
        p.resolve(stub, isLittleEndian(pdu.header));
      }
      return;
    }
    if (p && pdu.type === 'fault') {
      this.pending.delete(id);
      p.reject(new RpcFaultError(pdu.status, pdu.header.flags));
      return;
    }
    const w = this.rawWaiters.shift();
    if (w) w(pdu);
    else this.unsolicited.push(pdu);
  }

  private fail(e: Error): void {
    this.closeError = e;
    this.socket.destroy();
  }

  private onClose(): void {
    this.closed = true;
    const err = this.closeError ?? new Error('connection closed');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.bindWaiter?.reject(err);
    this.bindWaiter = undefined;
    for (const w of this.rawWaiters) w(undefined);
    this.rawWaiters = [];
  }

  private exchangeBind(pdu: Buffer): Promise<BindAckPdu | BindNakPdu> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      this.bindWaiter = { resolve, reject };
      this.socket.write(pdu);
    });
  }

  /** bind: returns one result per proposed context; throws BindNakError on bind_nak. */
  async bind(contexts: ContextProposal[], opts: BindOptions = {}): Promise<ContextResult[]> {
    const ack = await this.exchangeBind(
      encodeBind('bind', {
        callId: this.nextCallId++,
        maxXmitFrag: opts.maxXmitFrag ?? 5840,
        maxRecvFrag: opts.maxRecvFrag ?? 5840,
        assocGroupId: opts.assocGroupId ?? 0,
        contexts: contexts.map((c) => ({ ...c, transferSyntaxes: c.transferSyntaxes ?? [{ ...NDR20_SYNTAX }] })),
      }),
    );
    if (ack.type === 'bind_nak') throw new BindNakError(ack.reason);
    // What we may send is what the server can receive, and vice versa.
    this.maxXmitFrag = ack.maxRecvFrag;
    this.maxRecvFrag = ack.maxXmitFrag;
    this.framer.maxFragment = Math.max(this.maxRecvFrag, 16);
    this.assocGroupId = ack.assocGroupId;
    this.secondaryAddress = ack.secondaryAddress;
    return ack.results;
  }

  async alterContext(contexts: ContextProposal[]): Promise<ContextResult[]> {
    const ack = await this.exchangeBind(
      encodeBind('alter_context', {
        callId: this.nextCallId++,
        maxXmitFrag: this.maxXmitFrag,
        maxRecvFrag: this.maxRecvFrag,
        assocGroupId: this.assocGroupId,
        contexts: contexts.map((c) => ({ ...c, transferSyntaxes: c.transferSyntaxes ?? [{ ...NDR20_SYNTAX }] })),
      }),
    );
    if (ack.type === 'bind_nak') throw new BindNakError(ack.reason);
    return ack.results;
  }

  /** Binds one interface as context 0 and checks it was accepted. */
  async bindInterface(iface: InterfaceDecl, opts: BindOptions = {}): Promise<void> {
    const [r] = await this.bind([{ contextId: 0, abstractSyntax: syntaxOf(iface) }], opts);
    if (!r || r.result !== RESULT.acceptance) throw new Error(`${iface.name} not accepted: result ${r?.result} reason ${r?.reason}`);
  }

  /** Sends a request stub (fragmented to the negotiated size) and resolves with the response stub. */
  request(contextId: number, opnum: number, stub: Buffer, opts: CallOptions & { bigEndian?: boolean } = {}): Promise<Buffer> {
    return this.requestRaw(contextId, opnum, stub, opts).then((r) => r.stub);
  }

  requestRaw(
    contextId: number,
    opnum: number,
    stub: Buffer,
    opts: CallOptions & { bigEndian?: boolean } = {},
  ): Promise<{ stub: Buffer; littleEndian: boolean }> {
    if (this.closed) return Promise.reject(this.closeError ?? new Error('connection closed'));
    const callId = this.nextCallId++;
    const room = this.maxXmitFrag - 24 - (opts.object ? 16 : 0);
    const promise = new Promise<{ stub: Buffer; littleEndian: boolean }>((resolve, reject) => {
      this.pending.set(callId, { resolve: (s, le) => resolve({ stub: s, littleEndian: le }), reject, chunks: [] });
    });
    for (const f of stubFragments(stub, room)) {
      this.socket.write(
        encodeRequest({
          callId,
          flags: f.flags,
          allocHint: f.allocHint,
          contextId,
          opnum,
          object: opts.object,
          stub: f.chunk,
          bigEndian: opts.bigEndian,
        }),
      );
    }
    return promise;
  }

  /** Calls a declared method: arguments encoded from its IDL, the response decoded from it. */
  async call<M extends MethodDecl>(contextId: number, m: M, args: InOf<M>, opts: CallOptions = {}): Promise<OutOf<M>> {
    const stub = ndrEncode(m.request, args);
    const r = await this.requestRaw(contextId, m.opnum, stub, opts);
    return ndrDecode(m.response, r.stub, r.littleEndian, args as any) as OutOf<M>;
  }

  /** Writes raw bytes (tests of malformed input). */
  sendRaw(buf: Buffer): void {
    this.socket.write(buf);
  }

  /** The next PDU no call was waiting for, or undefined when the connection closes first. */
  nextPdu(timeoutMs = 5000): Promise<Pdu | undefined> {
    const queued = this.unsolicited.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.rawWaiters = this.rawWaiters.filter((w) => w !== waiter);
        reject(new Error('no PDU within timeout'));
      }, timeoutMs);
      const waiter = (p: Pdu | undefined) => {
        clearTimeout(timer);
        resolve(p);
      };
      this.rawWaiters.push(waiter);
    });
  }

  close(): Promise<void> {
    if (!this.closed) this.socket.end();
    return this.closedPromise;
  }
}
