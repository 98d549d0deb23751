import type { Socket } from 'node:net';
import { ndrDecode, ndrEncode } from '../ndr/index.js';
import { NdrError } from '../ndr/error.js';
import type { Logger } from '../log.js';
import type { AssociationGroup, AssociationGroups } from './association.js';
import {
  BIND_NAK_REASON,
  BIND_TIME_FEATURE,
  BIND_TIME_FEATURE_PREFIX,
  COMMON_HEADER_SIZE,
  FAULT,
  NDR20_SYNTAX,
  PFC,
  PROVIDER_REASON,
  RESULT,
} from './constants.js';
import { RpcFault } from './fault.js';
import { PduError } from './pdu/error.js';
import { FramingError, PduFramer } from './pdu/framer.js';
import { stubFragments } from './pdu/fragment.js';
import { isLittleEndian, parsePdu, readHeader } from './pdu/parser.js';
import { encodeBindAck, encodeBindNak, encodeFault, encodeResponse } from './pdu/serializer.js';
import type { BindPdu, ContextElem, ContextResult, Pdu, RequestPdu } from './pdu/types.js';
import type { CallContext, ConnectionInfo, EndpointInfo, ServedInterface } from './registry.js';
import type { RpcSettings } from './settings.js';

/** Server-wide counters, reported by the management interface's inq_stats. */
export interface RpcStats {
  callsIn: number;
  callsOut: number;
  pktsIn: number;
  pktsOut: number;
}

/** What a connection needs of the server that owns it. */
export interface ConnectionHost {
  readonly settings: RpcSettings;
  readonly groups: AssociationGroups;
  readonly log: Logger;
  readonly stats: RpcStats;
  connectionClosed(conn: ServerConnection): void;
}

const ZERO_SYNTAX = { uuid: '00000000-0000-0000-0000-000000000000', major: 0, minor: 0 };
const SUPPORTED_FEATURES = BIND_TIME_FEATURE.SECURITY_CONTEXT_MULTIPLEXING | BIND_TIME_FEATURE.KEEP_CONNECTION_ON_ORPHAN;
/** Request header (alloc_hint, p_cont_id, opnum) after the common header. */
const RESPONSE_HEADER_SIZE = COMMON_HEADER_SIZE + 8;

interface PresentationContext {
  readonly id: number;
  readonly served: ServedInterface;
}

interface PendingCall {
  readonly callId: number;
  readonly contextId: number;
  readonly opnum: number;
  readonly object: string | undefined;
  readonly littleEndian: boolean;
  chunks: Buffer[];
  size: number;
  /** A call refused while still arriving: its remaining fragments are dropped. */
  refused: boolean;
}

let nextConnectionId = 1;

/**
 * One TCP connection of the connection-oriented protocol, server side: the association
 * state machine of C706 chapter 12 with MS-RPCE's extensions. Fragments in, calls
 * dispatched to the endpoint's interfaces, responses fragmented out.
 */
export class ServerConnection implements ConnectionInfo {
  readonly id = nextConnectionId++;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;

  private state: 'awaiting_bind' | 'bound' | 'closing' = 'awaiting_bind';
  private readonly framer: PduFramer;
  private group: AssociationGroup | undefined;
  /** Fragment size we send (the client's max_recv_frag, capped) and accept. */
  private maxXmit: number;
  private maxRecv: number;
  private readonly contexts = new Map<number, PresentationContext>();
  private readonly calls = new Map<number, PendingCall>();
  private executing = 0;
  /** PFC_CONC_MPX negotiated: fragments of several calls may interleave. */
  private concMpx = false;
  private paused = false;
  private draining = false;

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
    readonly endpoint: EndpointInfo,
  ) {
    this.localAddress = socket.localAddress ?? '';
    this.localPort = socket.localPort ?? 0;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    const s = host.settings;
    this.maxXmit = s.maxFragmentSize;
    this.maxRecv = s.maxFragmentSize;
    this.framer = new PduFramer(s.maxFragmentSize);
    socket.setNoDelay(true);
    socket.setTimeout(s.idleTimeoutMs, () => {
      this.log('debug', 'idle timeout');
      this.close();
    });
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (e) => this.log('debug', 'socket error', { error: e.message }));
    socket.on('close', () => this.onClose());
  }

  get assocGroup(): AssociationGroup {
    // Methods run only on bound connections, which always have a group.
    return this.group!;
  }

  get callsInFlight(): number {
    return this.executing;
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    if (!this.host.log.enabled(level)) return;
    this.host.log[level](msg, { conn: this.id, peer: `${this.remoteAddress}:${this.remotePort}`, ...fields });
  }

  private onData(data: Buffer): void {
    if (this.state === 'closing') return;
    let frags: Buffer[];
    let framing: FramingError | undefined;
    try {
      frags = this.framer.push(data);
    } catch (e) {
      if (!(e instanceof FramingError)) throw e;
      frags = e.complete;
      framing = e;
    }
    this.onFragments(frags);
    // The stream cannot be resynchronised after a bad frag_length.
    if (framing && (this.state as string) !== 'closing') this.protocolError(framing.callId, framing.message);
  }

  private onFragments(frags: Buffer[]): void {
    for (const f of frags) {
      if ((this.state as string) === 'closing') return;
      try {
        this.onFragment(f);
      } catch (e) {
        // A defect of ours must cost this connection only, never the process.
        this.log('error', 'internal error', { error: String((e as Error)?.stack ?? e) });
        this.close();
        return;
      }
    }
  }

  private onFragment(buf: Buffer): void {
    this.host.stats.pktsIn++;
    let pdu: Pdu;
    try {
      pdu = parsePdu(buf);
    } catch (e) {
      if (!(e instanceof PduError)) throw e;
      const header = readHeader(buf);
      if (this.state === 'awaiting_bind') {
        this.nakAndClose(header.callId, BIND_NAK_REASON.protocol_version_not_supported, e.message);
      } else {
        this.protocolError(header.callId, e.message);
      }
      return;
    }
    switch (pdu.type) {
      case 'bind':
        return this.onBind(pdu);
      case 'alter_context':
        return this.onAlterContext(pdu);
      case 'request':
        return this.onRequest(pdu);
      case 'orphaned':
        // The client abandoned a call: forget its fragments. The connection stays open
        // (we negotiate keep-connection-on-orphan).
        this.calls.delete(pdu.header.callId);
        return;
      case 'co_cancel':
        // Methods here run to completion quickly; a cancel has nothing to interrupt.
        return;
      case 'auth3':
        // Third leg of a three-legged authentication; with no security provider there is
        // no context awaiting it.
        return;
      default:
        // shutdown, bind_ack, response, fault... are never sent by a client.
        this.protocolError(pdu.header.callId, `unexpected ${pdu.type} from client`);
    }
  }

  // ---- association and presentation contexts ------------------------------------------

  private onBind(pdu: BindPdu): void {
    const callId = pdu.header.callId;
    if (this.state !== 'awaiting_bind') {
      this.nakAndClose(callId, BIND_NAK_REASON.reason_not_specified, 'bind on a bound connection');
      return;
    }
    if (pdu.header.rpcVersMinor > 1) {
      this.nakAndClose(callId, BIND_NAK_REASON.protocol_version_not_supported, `version 5.${pdu.header.rpcVersMinor}`);
      return;
    }
    if (pdu.auth) {
      this.nakAndClose(callId, BIND_NAK_REASON.authentication_type_not_recognized, `auth type ${pdu.auth.authType}`);
      return;
    }
    // Windows 2022 answers a bind without presentation contexts with reason 4.
    if (pdu.contexts.length === 0) {
      this.nakAndClose(callId, BIND_NAK_REASON.protocol_version_not_supported, 'bind without presentation contexts');
      return;
    }
    const invalid = this.invalidContextList(pdu.contexts);
    if (invalid) {
      this.nakAndClose(callId, BIND_NAK_REASON.reason_not_specified, invalid);
      return;
    }
    let group: AssociationGroup | undefined;
    if (pdu.assocGroupId === 0) {
      group = this.host.groups.create();
    } else {
      group = this.host.groups.get(pdu.assocGroupId);
      if (!group) {
        this.nakAndClose(callId, BIND_NAK_REASON.reason_not_specified, `unknown association group 0x${pdu.assocGroupId.toString(16)}`);
        return;
      }
    }
    group.connections.add(this.id);
    this.group = group;
    // Both directions get one size, as Windows negotiates it: the smaller of the client's
    // two, raised to the floor, capped, rounded down to a multiple of 8.
    const s = this.host.settings;
    const size = Math.min(Math.max(Math.min(pdu.maxXmitFrag, pdu.maxRecvFrag), s.minFragmentSize), s.maxFragmentSize) & ~7;
    this.maxXmit = size;
    this.maxRecv = size;
    this.concMpx = (pdu.header.flags & PFC.CONC_MPX) !== 0;
    this.state = 'bound';
    const results = this.negotiateAll(pdu.contexts, true);
    if (!results) return;
    this.send(
      encodeBindAck('bind_ack', {
        callId,
        flags: PFC.FIRST_FRAG | PFC.LAST_FRAG | (pdu.header.flags & (PFC.SUPPORT_HEADER_SIGN | PFC.CONC_MPX)),
        maxXmitFrag: this.maxXmit,
        maxRecvFrag: this.maxRecv,
        assocGroupId: group.id,
        // The secondary address is the port the client reached, as a decimal string.
        secondaryAddress: String(this.localPort),
        results,
      }),
    );
    this.log('debug', 'bind', { assocGroup: group.id, results: results.map((r) => r.result) });
  }

  private onAlterContext(pdu: BindPdu): void {
    const callId = pdu.header.callId;
    if (this.state !== 'bound') {
      this.protocolError(callId, 'alter_context before bind');
      return;
    }
    if (pdu.auth) {
      this.protocolError(callId, `alter_context with auth type ${pdu.auth.authType}`);
      return;
    }
    if (pdu.contexts.length === 0 || this.invalidContextList(pdu.contexts)) {
      this.protocolError(callId, 'alter_context with an invalid context list');
      return;
    }
    const results = this.negotiateAll(pdu.contexts, false);
    if (!results) return;
    // alter_context's own sizes and group id are ignored; the bind's stand.
    this.send(
      encodeBindAck('alter_context_resp', {
        callId,
        flags: PFC.FIRST_FRAG | PFC.LAST_FRAG | (pdu.header.flags & PFC.SUPPORT_HEADER_SIGN),
        maxXmitFrag: this.maxXmit,
        maxRecvFrag: this.maxRecv,
        assocGroupId: this.group!.id,
        secondaryAddress: '',
        results,
      }),
    );
  }

  /** A context list Windows refuses outright: an item with no transfer syntax, or two feature items. */
  private invalidContextList(contexts: ContextElem[]): string | undefined {
    if (contexts.some((c) => c.transferSyntaxes.length === 0)) return 'context without transfer syntaxes';
    const features = contexts.filter((c) => c.transferSyntaxes[0]!.uuid.startsWith(BIND_TIME_FEATURE_PREFIX));
    if (features.length > 1) return 'bind-time feature negotiation offered twice';
    return undefined;
  }

  /**
   * The results of one bind or alter_context. As on Windows, one PDU accepts at most one
   * new presentation context: once one is accepted, the rest are refused as
   * proposed_transfer_syntaxes_not_supported. Returns undefined after a protocol error.
   */
  private negotiateAll(contexts: ContextElem[], isBind: boolean): ContextResult[] | undefined {
    const results: ContextResult[] = [];
    let accepted = false;
    for (const c of contexts) {
      const r = this.negotiate(c, isBind, accepted);
      if (!r) return undefined;
      if (r.result === RESULT.acceptance) accepted = true;
      results.push(r);
    }
    return results;
  }

  private negotiate(c: ContextElem, isBind: boolean, alreadyAccepted: boolean): ContextResult | undefined {
    const reject = (reason: number): ContextResult => ({ result: RESULT.provider_rejection, reason, transferSyntax: ZERO_SYNTAX });
    const first = c.transferSyntaxes[0]!;
    if (isBind && first.uuid.startsWith(BIND_TIME_FEATURE_PREFIX)) {
      // The feature bitmask is the first octet of the UUID's last eight (MS-RPCE 2.2.2.14);
      // the answer carries the features both sides support in the reason field.
      const offered = parseInt(first.uuid.slice(19, 21), 16);
      return { result: RESULT.negotiate_ack, reason: offered & SUPPORTED_FEATURES, transferSyntax: ZERO_SYNTAX };
    }
    const served = this.endpoint.registry.lookup(c.abstractSyntax.uuid, c.abstractSyntax.major, c.abstractSyntax.minor);
    const existing = this.contexts.get(c.contextId);
    if (existing && existing.served !== served) {
      this.protocolError(0, `context ${c.contextId} re-bound to another interface`);
      return undefined;
    }
    if (!served) return reject(PROVIDER_REASON.abstract_syntax_not_supported);
    const ndr20 = c.transferSyntaxes.find((t) => t.uuid === NDR20_SYNTAX.uuid && t.major === NDR20_SYNTAX.major);
    if (!ndr20 || alreadyAccepted) return reject(PROVIDER_REASON.proposed_transfer_syntaxes_not_supported);
    if (!existing && this.contexts.size >= this.host.settings.maxContextsPerConnection) {
      return reject(PROVIDER_REASON.local_limit_exceeded);
    }
    this.contexts.set(c.contextId, { id: c.contextId, served });
    return { result: RESULT.acceptance, reason: 0, transferSyntax: { ...NDR20_SYNTAX } };
  }

  // ---- calls ----------------------------------------------------------------------------

  private onRequest(pdu: RequestPdu): void {
    const h = pdu.header;
    if (this.state !== 'bound') {
      this.protocolError(h.callId, 'request before bind');
      return;
    }
    let call = this.calls.get(h.callId);
    if (h.flags & PFC.FIRST_FRAG) {
      if (call) {
        this.protocolError(h.callId, 'first fragment of a call already in progress');
        return;
      }
      if (!this.concMpx && this.calls.size > 0) {
        // Without PFC_CONC_MPX the fragments of two calls must not interleave.
        this.protocolError(h.callId, 'a new call began while another was still arriving');
        return;
      }
      if (this.calls.size >= 2 * this.host.settings.maxCallsInFlight) {
        this.protocolError(h.callId, 'too many calls in progress');
        return;
      }
      call = {
        callId: h.callId,
        contextId: pdu.contextId,
        opnum: pdu.opnum,
        object: pdu.object,
        littleEndian: isLittleEndian(h),
        chunks: [],
        size: 0,
        refused: false,
      };
      this.calls.set(h.callId, call);
      if (this.calls.size > this.host.settings.maxCallsInFlight) this.refuse(call, FAULT.nca_s_server_too_busy);
      else if ((h.drep & 0x0f) !== 0 || h.drep >> 8 !== 0) {
        // Only ASCII characters and IEEE floats are understood (EBCDIC, VAX, Cray, IBM are not).
        this.refuse(call, FAULT.nca_s_unsupported_type);
      }
    } else if (!call) {
      this.protocolError(h.callId, 'fragment of an unknown call');
      return;
    } else if (call.contextId !== pdu.contextId || call.opnum !== pdu.opnum) {
      this.protocolError(h.callId, 'fragment disagrees with its call');
      return;
    }
    if (!call.refused) {
      call.size += pdu.stub.length;
      if (call.size > this.host.settings.maxRequestSize) {
        // As Windows (MS-RPCE 3.3.3.5.4): access denied, then the connection is closed.
        this.log('info', 'request too large', { size: call.size });
        this.sendFault(h.callId, call.contextId, FAULT.access_denied, false);
        this.close();
        return;
      }
      call.chunks.push(pdu.stub);
    }
    if (!(h.flags & PFC.LAST_FRAG)) return;
    this.calls.delete(h.callId);
    if (call.refused) return;
    const stub = call.chunks.length === 1 ? call.chunks[0]! : Buffer.concat(call.chunks, call.size);
    call.chunks = [];
    this.host.stats.callsIn++;
    this.dispatch(call, stub);
  }

  /** Answers a call with a fault now and drops the rest of its fragments. */
  private refuse(call: PendingCall, status: number): void {
    call.refused = true;
    call.chunks = [];
    this.sendFault(call.callId, call.contextId, status, true);
  }

  private dispatch(call: PendingCall, stub: Buffer): void {
    const ctx = this.contexts.get(call.contextId);
    if (!ctx) {
      // Windows names no context in this fault (p_cont_id 0) and keeps the connection.
      this.sendFault(call.callId, 0, FAULT.nca_s_unk_if, true);
      return;
    }
    const method = ctx.served.decl.opnums[call.opnum];
    const handler = ctx.served.handlers[call.opnum];
    if (!method || !handler) {
      this.sendFault(call.callId, call.contextId, FAULT.nca_s_op_rng_error, true);
      return;
    }
    let args: any;
    try {
      args = ndrDecode(method.request, stub, call.littleEndian);
    } catch (e) {
      if (!(e instanceof NdrError)) throw e;
      this.log('debug', 'bad stub data', { iface: ctx.served.decl.name, opnum: call.opnum, error: e.message });
      this.sendFault(call.callId, call.contextId, FAULT.rpc_x_bad_stub_data, false);
      return;
    }
    const cc: CallContext = { conn: this, callId: call.callId, opnum: call.opnum, object: call.object };
    this.executing++;
    let out: unknown;
    try {
      out = handler(args, cc);
    } catch (e) {
      this.executing--;
      this.callFailed(call, ctx, e);
      return;
    }
    if (out instanceof Promise) {
      out.then(
        (v) => {
          this.executing--;
          this.respond(call, method.response, args, v);
        },
        (e) => {
          this.executing--;
          this.callFailed(call, ctx, e);
        },
      );
    } else {
      this.executing--;
      this.respond(call, method.response, args, out);
    }
  }

  private callFailed(call: PendingCall, ctx: PresentationContext, e: unknown): void {
    if (e instanceof RpcFault) {
      this.sendFault(call.callId, call.contextId, e.status, e.didNotExecute);
    } else {
      this.log('error', 'method threw', { iface: ctx.served.decl.name, opnum: call.opnum, error: String((e as Error)?.stack ?? e) });
      this.sendFault(call.callId, call.contextId, FAULT.nca_s_fault_unspec, false);
    }
    this.afterCall();
  }

  private respond(call: PendingCall, type: import('../ndr/type.js').NdrType<any>, args: any, out: any): void {
    if (this.state === 'closing' && !this.draining) return;
    let stub: Buffer;
    try {
      stub = ndrEncode(type, out, { ...args, ...out });
    } catch (e) {
      this.log('error', 'response does not encode', { opnum: call.opnum, error: String((e as Error)?.stack ?? e) });
      this.sendFault(call.callId, call.contextId, FAULT.nca_s_fault_unspec, false);
      this.afterCall();
      return;
    }
    if (stub.length > this.host.settings.maxResponseSize) {
      this.sendFault(call.callId, call.contextId, FAULT.nca_s_out_args_too_big, false);
    } else {
      this.sendResponse(call.callId, call.contextId, stub);
    }
    this.afterCall();
  }

  private afterCall(): void {
    if (this.draining && this.executing === 0) this.close();
  }

  /** Cuts a response stub into fragments no larger than the client's max_recv_frag. */
  private sendResponse(callId: number, contextId: number, stub: Buffer): void {
    for (const f of stubFragments(stub, this.maxXmit - RESPONSE_HEADER_SIZE)) {
      // Windows truncates p_cont_id to its low octet in responses; clients expect it.
      this.send(encodeResponse({ callId, flags: f.flags, allocHint: f.allocHint, contextId: contextId & 0xff, stub: f.chunk }));
    }
  }

  private sendFault(callId: number, contextId: number, status: number, didNotExecute: boolean): void {
    const flags = PFC.FIRST_FRAG | PFC.LAST_FRAG | (didNotExecute ? PFC.DID_NOT_EXECUTE : 0);
    this.send(encodeFault({ callId, contextId, status, flags }));
  }

  // ---- errors and teardown --------------------------------------------------------------

  private nakAndClose(callId: number, reason: number, why: string): void {
    this.log('info', 'bind refused', { reason, why });
    this.send(encodeBindNak(callId, reason));
    this.close();
  }

  /**
   * A protocol violation: before the bind, bind_nak with reason 4 (MS-RPCE's "protocol error
   * while processing a bind"); after it, fault nca_s_proto_error naming no context. Then close.
   */
  private protocolError(callId: number, why: string): void {
    this.log('info', 'protocol error', { why });
    if (this.state === 'awaiting_bind') this.send(encodeBindNak(callId, BIND_NAK_REASON.protocol_version_not_supported));
    else if (this.state === 'bound') this.sendFault(callId, 0, FAULT.nca_s_proto_error, false);
    this.close();
  }

  private send(buf: Buffer): void {
    if (this.socket.destroyed) return;
    this.host.stats.pktsOut++;
    this.socket.write(buf);
    if (!this.paused && this.socket.writableLength > this.host.settings.maxPendingWriteBytes) {
      // The peer is not reading its answers: stop reading its requests until it does.
      this.paused = true;
      this.socket.pause();
    }
  }

  private onDrain(): void {
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** Ends the connection once pending output is flushed; destroys it if the peer stalls. */
  close(): void {
    if (this.state === 'closing' && !this.draining) return;
    this.state = 'closing';
    this.draining = false;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** Graceful stop: answer the calls in flight, then close. */
  drain(): void {
    if (this.state === 'closing') return;
    if (this.executing === 0) {
      this.close();
      return;
    }
    this.state = 'closing';
    this.draining = true;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onClose(): void {
    this.state = 'closing';
    this.calls.clear();
    if (this.group) this.host.groups.leave(this.group, this.id);
    this.host.connectionClosed(this);
  }
}
