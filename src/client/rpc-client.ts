import * as net from 'node:net';
import { cachedLookup } from './name-cache.js';
import type { InOf, InterfaceDecl, MethodDecl, OutOf } from '../dcerpc/interface.js';
import { AUTH_LEVEL, NDR20_SYNTAX, PFC, RESULT } from '../dcerpc/constants.js';
import { PduFramer } from '../dcerpc/pdu/framer.js';
import { emitFragments, verifyFragment } from '../dcerpc/protection.js';
import { StubAssembly } from '../dcerpc/reassembly.js';
import { isLittleEndian, parsePdu } from '../dcerpc/pdu/parser.js';
import { encodeAuth3, encodeBind, encodeRequest } from '../dcerpc/pdu/serializer.js';
import { SEC_VT_COMMAND, encodeVerificationTrailer, header2Of, type SecVtCommand } from '../dcerpc/pdu/verification-trailer.js';
import type { ClientSecurityContext } from '../dcerpc/auth.js';
import type { BindAckPdu, BindNakPdu, ContextResult, Pdu, SyntaxId } from '../dcerpc/pdu/types.js';
import { ndrDecode, ndrEncode } from '../ndr/index.js';
import type { Guid } from '../ndr/guid.js';
import { formatStatus } from '../status/index.js';

/** The server answered a call with a fault PDU. */
export class RpcFaultError extends Error {
  constructor(
    readonly status: number,
    readonly flags: number,
  ) {
    super(`RPC fault ${formatStatus(status)}`);
    this.name = 'RpcFaultError';
  }
}

/** The server refused the bind outright. */
/** The server answered the bind but did not accept the interface's presentation context. */
export class InterfaceRefusedError extends Error {
  constructor(readonly iface: string, readonly result: number | undefined, readonly reason: number | undefined) {
    super(`${iface} not accepted: result ${result} reason ${reason}`);
    this.name = 'InterfaceRefusedError';
  }
}

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
  /** Authenticate the association: a security context and the level to run it at. */
  auth?: ClientAuth;
}

export interface ClientAuth {
  ctx: ClientSecurityContext;
  level: number;
  /** auth_context_id (Windows clients use small numbers; impacket uses 79231). */
  contextId?: number;
}

/** A response whose verifier did not match: the session can no longer be trusted. */
export class VerifierError extends Error {}

export interface CallOptions {
  object?: Guid;
  /**
   * The verification trailer (MS-RPCE 2.2.2.13) appended to the stub. By default, as
   * Windows clients do, authenticated calls at call level or above carry PCONTEXT and
   * HEADER2; 'none' sends none; a list sends exactly those commands (tests of the checks).
   */
  trailer?: 'none' | readonly SecVtCommand[];
  /** Sign or seal with this security context of the connection instead of the latest one. */
  auth?: Required<ClientAuth>;
}

interface Pending {
  resolve(stub: Buffer, littleEndian: boolean): void;
  reject(e: Error): void;
  readonly stub: StubAssembly;
  /** The security context the call was protected with: its response must verify with it. */
  auth: Required<ClientAuth> | undefined;
}

type BindFields = Parameters<typeof encodeBind>[1];

const withNdr20 = (contexts: ContextProposal[]) => contexts.map((c) => ({ ...c, transferSyntaxes: c.transferSyntaxes ?? [{ ...NDR20_SYNTAX }] }));

/** The drep octets of everything we send (10 00 00 00: little-endian, ASCII, IEEE). */
const DREP_LE = 0x10;


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
  /** Fragments received, and the largest (tests check the server's fragmentation). */
  readonly stats = { fragments: 0, largestFragment: 0, bytes: 0 };
  /** The association's security context, once bound with authentication. */
  auth: Required<ClientAuth> | undefined;
  maxXmitFrag = 5840;
  maxRecvFrag = 5840;
  assocGroupId = 0;
  secondaryAddress = '';
  readonly closedPromise: Promise<void>;
  /** The abstract syntax of each accepted presentation context, for the trailer's PCONTEXT. */
  private readonly contextSyntax = new Map<number, SyntaxId>();

  /** A client over a connected socket (`connect` makes one). */
  constructor(readonly socket: net.Socket) {
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

  static connect<T extends RpcClient>(this: new (s: net.Socket) => T, host: string, port: number, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      // Names through the process's shared cache (name-cache.ts); addresses need no lookup.
      const s = net.connect({ host, port, lookup: cachedLookup });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(new this(s));
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
    this.stats.bytes += pdu.header.fragLength;
    this.stats.largestFragment = Math.max(this.stats.largestFragment, pdu.header.fragLength);
    const id = pdu.header.callId;
    if ((pdu.type === 'bind_ack' || pdu.type === 'alter_context_resp' || pdu.type === 'bind_nak') && this.bindWaiter) {
      const w = this.bindWaiter;
      this.bindWaiter = undefined;
      w.resolve(pdu);
      return;
    }
    if (pdu.type === 'fault' && this.bindWaiter && !this.pending.has(id)) {
      // A server refuses a failed alter_context leg with a fault, then closes (MS-RPCE
      // 3.3.3.2.2): the waiting bind fails with that fault, not as "connection closed".
      const w = this.bindWaiter;
      this.bindWaiter = undefined;
      w.reject(new RpcFaultError(pdu.status, pdu.header.flags));
      return;
    }
    const p = this.pending.get(id);
    if (p && pdu.type === 'response') {
      const a = p.auth;
      if (a) {
        if (!pdu.auth || !verifyFragment(a.ctx, a.level, pdu)) {
          this.pending.delete(id);
          p.reject(new VerifierError('response verifier does not match'));
          this.fail(new VerifierError('response verifier does not match'));
          return;
        }
      }
      p.stub.push(pdu.stub);
      if (pdu.header.flags & PFC.LAST_FRAG) {
        this.pending.delete(id);
        p.resolve(p.stub.take(), isLittleEndian(pdu.header));
      }
      return;
    }
    if (p && pdu.type === 'fault') {
      this.pending.delete(id);
      p.reject(new RpcFaultError(pdu.status, pdu.header.flags));
      return;
    }
    this.unmatched(pdu);
  }

  /** A PDU no call or bind waits for. A client drops it; test helpers keep it. */
  protected unmatched(_pdu: Pdu): void {}

  /** Writes one request fragment (a test helper may look at it first). */
  protected writeFragment(pdu: Buffer): void {
    this.socket.write(pdu);
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
    const fields = {
      callId: this.nextCallId++,
      maxXmitFrag: opts.maxXmitFrag ?? 5840,
      maxRecvFrag: opts.maxRecvFrag ?? 5840,
      assocGroupId: opts.assocGroupId ?? 0,
      contexts: withNdr20(contexts),
    };
    const ack = await this.negotiate('bind', fields, opts.auth);
    // What we may send is what the server can receive, and vice versa.
    this.maxXmitFrag = ack.maxRecvFrag;
    this.maxRecvFrag = ack.maxXmitFrag;
    this.framer.maxFragment = Math.max(this.maxRecvFrag, 16);
    this.assocGroupId = ack.assocGroupId;
    this.secondaryAddress = ack.secondaryAddress;
    return ack.results;
  }

  /**
   * alter_context: more presentation contexts, and with `auth` a new security context
   * (the calls that follow use it), as impacket does at every change of interface. A
   * server at its limit refuses every context and attaches no token: the results say so.
   */
  async alterContext(contexts: ContextProposal[], opts: { auth?: ClientAuth } = {}): Promise<ContextResult[]> {
    const fields = {
      callId: this.nextCallId++,
      maxXmitFrag: this.maxXmitFrag,
      maxRecvFrag: this.maxRecvFrag,
      assocGroupId: this.assocGroupId,
      contexts: withNdr20(contexts),
    };
    return (await this.negotiate('alter_context', fields, opts.auth)).results;
  }

  /** One bind or alter_context, with the security legs that follow it when `a` is given. */
  private async negotiate(type: 'bind' | 'alter_context', fields: BindFields, a: ClientAuth | undefined): Promise<BindAckPdu> {
    const authContextId = a?.contextId ?? 1;
    const verifier = (token: Buffer) => ({ authType: a!.ctx.authType, authLevel: a!.level, authContextId, authValue: token, padTo: 4 });
    const first = a ? a.ctx.step(undefined).token : undefined;
    const ack = await this.exchangeBind(encodeBind(type, fields, a ? verifier(first ?? Buffer.alloc(0)) : undefined));
    if (ack.type === 'bind_nak') throw new BindNakError(ack.reason);
    const accepted = ack.results.some((r) => r.result === RESULT.acceptance);
    if (a && (ack.auth || accepted)) {
      if (!ack.auth) throw new Error(`${ack.type} without the server's authentication token`);
      let r = a.ctx.step(ack.auth.authValue);
      // As many legs as the mechanism needs: NTLM ends with rpc_auth_3; SPNEGO goes on in
      // alter_contexts (two when the client's first choice was not NTLM).
      while (r.token) {
        if (r.via === 'auth3') {
          // rpc_auth_3 has no answer and a request nearly always follows at once: it is held
          // until this turn of the event loop ends, so both leave in one write (the same
          // octets; one system call and one wake-up of the server fewer per handshake).
          this.socket.cork();
          this.socket.write(encodeAuth3(fields.callId, verifier(r.token)));
          setImmediate(() => this.socket.uncork());
          break;
        }
        const resp = await this.exchangeBind(encodeBind('alter_context', { ...fields, callId: this.nextCallId++ }, verifier(r.token)));
        if (resp.type === 'bind_nak') throw new BindNakError(resp.reason);
        if (!resp.auth) throw new Error('alter_context_resp without the server\'s authentication token');
        r = a.ctx.step(resp.auth.authValue);
      }
      if (!r.done) throw new Error('authentication did not complete');
      this.auth = { ctx: a.ctx, level: a.level, contextId: authContextId };
    }
    this.remember(fields.contexts, ack.results);
    return ack;
  }

  private remember(contexts: ContextProposal[], results: ContextResult[]): void {
    contexts.forEach((c, i) => {
      if (results[i]?.result === RESULT.acceptance) this.contextSyntax.set(c.contextId, c.abstractSyntax);
    });
  }

  /** Binds one interface as context 0 and checks it was accepted. */
  async bindInterface(iface: InterfaceDecl, opts: BindOptions = {}): Promise<void> {
    const [r] = await this.bind([{ contextId: 0, abstractSyntax: syntaxOf(iface) }], opts);
    if (!r || r.result !== RESULT.acceptance) throw new InterfaceRefusedError(iface.name, r?.result, r?.reason);
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
    const chosen = opts.auth ?? this.auth;
    const a = chosen && chosen.level >= AUTH_LEVEL.call ? chosen : undefined;
    const trailer = opts.trailer === 'none' ? undefined : opts.trailer ?? (a ? this.defaultTrailer(contextId, callId, opnum, !!opts.bigEndian) : undefined);
    if (trailer) stub = Buffer.concat([stub, encodeVerificationTrailer(stub.length, trailer)]);
    const promise = new Promise<{ stub: Buffer; littleEndian: boolean }>((resolve, reject) => {
      this.pending.set(callId, { resolve: (s, le) => resolve({ stub: s, littleEndian: le }), reject, stub: new StubAssembly(), auth: a });
    });
    const security = a && { protection: a.ctx, authType: a.ctx.authType, level: a.level, contextId: a.contextId };
    emitFragments(
      stub,
      this.maxXmitFrag,
      opts.object !== undefined,
      security,
      (f, verifier) =>
        encodeRequest(
          { callId, flags: f.flags, allocHint: f.allocHint, contextId, opnum, object: opts.object, stub: f.chunk, bigEndian: opts.bigEndian },
          verifier,
        ),
      (pdu) => this.writeFragment(pdu),
    );
    return promise;
  }

  /** PCONTEXT and HEADER2, as a Windows client sends them with a signed or sealed call. */
  private defaultTrailer(contextId: number, callId: number, opnum: number, bigEndian: boolean): SecVtCommand[] | undefined {
    const syntax = this.contextSyntax.get(contextId);
    if (!syntax || bigEndian) return undefined;
    return [
      { command: SEC_VT_COMMAND.PCONTEXT, mustProcess: false, interfaceId: syntax, transferSyntax: { ...NDR20_SYNTAX } },
      { command: SEC_VT_COMMAND.HEADER2, mustProcess: false, ...header2Of({ drep: DREP_LE, callId, contextId, opnum }) },
    ];
  }

  /** Calls a declared method: arguments encoded from its IDL, the response decoded from it. */
  async call<M extends MethodDecl>(contextId: number, m: M, args: InOf<M>, opts: CallOptions = {}): Promise<OutOf<M>> {
    const stub = ndrEncode(m.request, args);
    const r = await this.requestRaw(contextId, m.opnum, stub, opts);
    return ndrDecode(m.response, r.stub, r.littleEndian, args as any) as OutOf<M>;
  }

  /** Writes raw bytes (tests of malformed input). */


  close(): Promise<void> {
    if (!this.closed) this.socket.end();
    return this.closedPromise;
  }
}
