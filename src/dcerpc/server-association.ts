import { ndrDecode, ndrEncode } from '../ndr/index.js';
import type { MethodDecl } from './interface.js';
import type { TappedSecurityContext } from './tap.js';
import { NdrError } from '../ndr/error.js';
import type { Logger } from '../log.js';
import type { AssociationGroup, AssociationGroups } from './association.js';
import {
  BIND_NAK_REASON,
  BIND_TIME_FEATURE,
  BIND_TIME_FEATURE_PREFIX,
  FAULT,
  NDR20_SYNTAX,
  PFC,
  PROVIDER_REASON,
  RESULT,
} from './constants.js';
import { RpcFault } from './fault.js';
import { PduError } from './pdu/error.js';
import { FramingError, PduFramer } from './pdu/framer.js';
import { emitFragments, stubRoom, verifyFragment } from './protection.js';
import { StubAssembly, type ReassemblyBudget } from './reassembly.js';
import type { RateLimitedLog } from '../log.js';
import { isLittleEndian, parsePdu, readHeader } from './pdu/parser.js';
import { encodeBindAck, encodeBindNak, encodeFault, encodeResponse } from './pdu/serializer.js';
import type { BindPdu, ContextElem, ContextResult, Pdu, RequestPdu, SyntaxId } from './pdu/types.js';
import type { CallContext, CallInterceptor, CallVerdict, ConnectionInfo, EndpointInfo, ServedInterface } from './registry.js';
import { ndrZeroAnswer } from './zero-answer.js';
import type { RpcSettings } from './settings.js';
import { AuthRejected, type Authorizer, type CallAuth, type SecurityProvider, type ServerSecurityContext } from './auth.js';
import { AUTH_LEVEL } from './constants.js';
import type { AuthVerifier } from './pdu/types.js';
import type { OutAuth } from './pdu/serializer.js';
import { checkVerificationTrailer, findVerificationTrailer, header2Of } from './pdu/verification-trailer.js';

/** Server-wide counters, reported by the management interface's inq_stats. */
export interface RpcStats {
  callsIn: number;
  callsOut: number;
  pktsIn: number;
  pktsOut: number;
}

/** What one connection holds, as diagnostics and tests see it. */
export interface ConnectionState {
  readonly id: number;
  readonly remote: string;
  readonly presentationContexts: number;
  readonly securityContexts: number;
  readonly callsInFlight: number;
}

/** What a connection needs of the server that owns it. */
export interface ConnectionHost {
  readonly settings: RpcSettings;
  readonly groups: AssociationGroups;
  readonly log: Logger;
  readonly stats: RpcStats;
  /** Authentication providers; without one, a bind with a verifier is refused. */
  readonly security?: SecurityProvider;
  /** The access check before each method. */
  readonly authorize?: Authorizer;
  /** The process-wide total of request octets in reassembly (maxReassemblyBytesTotal). */
  readonly reassembly?: ReassemblyBudget;
  /** Where lines caused by unauthenticated peers go: limited per message and source. */
  readonly peerLog?: RateLimitedLog;
  /** Calls arriving or running on every connection from `address` (maxCallsInFlightPerSource). */
  callsFrom?(address: string): number;
  /** Scripted faults, consulted before the opnum is looked up and before each method. */
  readonly intercept?: CallInterceptor;
  connectionClosed(conn: ServerAssociation): void;
}

/** The two ends of a transport, as the machine sees them. */
export interface PeerAddresses {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/**
 * What the machine asks of its transport: bytes out, and an end. It never reads a socket,
 * sets a timer or waits: the adapter (connection.ts for TCP, a test, a capture reader) does.
 */
export interface AssociationIo {
  /** Queues one PDU for the peer. */
  write(pdu: Buffer): void;
  /** Ends the transport once what was written is flushed. */
  end(): void;
  /** Cuts the transport at once (a scripted fault's drop); without it, end(). */
  reset?(): void;
  /**
   * Holds what write() queues until uncork(), then passes it to the transport at once (one
   * system call for several fragments of a response).
   */
  cork?(): void;
  uncork?(): void;
  /** A security context was established (for a capture's key file: tap.ts). */
  securityEstablished?(ctx: TappedSecurityContext): void;
}

/** One security context of the connection, by auth_context_id (several may coexist). */
interface AuthSlot {
  readonly id: number;
  readonly authType: number;
  readonly level: number;
  readonly ctx: ServerSecurityContext;
  state: 'pending' | 'established' | 'failed';
  /** When it was last used (the connection's tick), for evicting the least recently used. */
  lastUse: number;
}

/** Levels at which every PDU carries a verifier (call and packet are given integrity, as Windows does for NTLM). */
const PER_PDU = AUTH_LEVEL.call;

const ZERO_SYNTAX = { uuid: '00000000-0000-0000-0000-000000000000', major: 0, minor: 0 };
const LIMIT_REJECTION: ContextResult = { result: RESULT.provider_rejection, reason: PROVIDER_REASON.local_limit_exceeded, transferSyntax: ZERO_SYNTAX };
const SUPPORTED_FEATURES = BIND_TIME_FEATURE.SECURITY_CONTEXT_MULTIPLEXING | BIND_TIME_FEATURE.KEEP_CONNECTION_ON_ORPHAN;

interface PresentationContext {
  readonly id: number;
  readonly served: ServedInterface;
  /** The abstract syntax as the client named it, for the verification trailer's PCONTEXT. */
  readonly abstractSyntax: SyntaxId;
  lastUse: number;
}

interface PendingCall {
  readonly callId: number;
  readonly contextId: number;
  readonly opnum: number;
  readonly object: string | undefined;
  readonly littleEndian: boolean;
  /** The first fragment's four drep octets (the verification trailer's HEADER2 repeats them). */
  readonly drep: number;
  readonly stub: StubAssembly;
  /** A call refused while still arriving: its remaining fragments are dropped. */
  refused: boolean;
  /** The security context the call's fragments were verified with. */
  auth: AuthSlot | undefined;
}

let nextConnectionId = 1;

/**
 * One association of the connection-oriented protocol, server side, without I/O: the state
 * machine of C706 chapter 12 with MS-RPCE's extensions. Bytes in (`receive`), calls
 * dispatched to the endpoint's interfaces, responses fragmented, signed or sealed and handed
 * to `io.write`. The same machine serves a TCP socket (connection.ts) and unit tests that
 * feed it byte vectors.
 */
export class ServerAssociation implements ConnectionInfo {
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
  /** Calls handed to their method and not yet answered. */
  private readonly running = new Set<PendingCall>();
  /** Advances at every bind, alter_context and call: contexts remember when they were last used. */
  private tick = 0;
  /** The client offered header signing (PFC_SUPPORT_HEADER_SIGN) in a bind or alter_context. */
  private clientHeaderSigning = false;
  /** PFC_CONC_MPX negotiated: fragments of several calls may interleave. */
  private concMpx = false;
  private readonly authSlots = new Map<number, AuthSlot>();
  private draining = false;
  private transportClosed = false;
  /** Fragments completed so far: the transport's progress timeout watches it. */
  fragmentsIn = 0;

  constructor(
    private readonly host: ConnectionHost,
    readonly endpoint: EndpointInfo,
    peer: PeerAddresses,
    private readonly io: AssociationIo,
  ) {
    this.localAddress = peer.localAddress;
    this.localPort = peer.localPort;
    this.remoteAddress = peer.remoteAddress;
    this.remotePort = peer.remotePort;
    const s = host.settings;
    this.maxXmit = s.maxFragmentSize;
    this.maxRecv = s.maxFragmentSize;
    this.framer = new PduFramer(s.maxFragmentSize);
  }

  /** True once the machine has ended the association (it reads nothing more). */
  get closing(): boolean {
    return this.state === 'closing';
  }

  get assocGroup(): AssociationGroup {
    // Methods run only on bound connections, which always have a group.
    return this.group!;
  }

  get callsInFlight(): number {
    return this.running.size;
  }

  /** Calls that hold something: being reassembled (not refused) or running. */
  get callsHeld(): number {
    let n = this.running.size;
    for (const c of this.calls.values()) if (!c.refused) n++;
    return n;
  }

  /** Octets of a PDU begun but not complete (the progress timeout's concern). */
  get partialBytes(): number {
    return this.framer.buffered;
  }

  snapshot(): ConnectionState {
    return {
      id: this.id,
      remote: `${this.remoteAddress}:${this.remotePort}`,
      presentationContexts: this.contexts.size,
      securityContexts: this.authSlots.size,
      callsInFlight: this.running.size,
    };
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    if (!this.host.log.enabled(level)) return;
    const all = { conn: this.id, peer: `${this.remoteAddress}:${this.remotePort}`, ...fields };
    // A peer nobody has authenticated can repeat a bad request at will: its lines are
    // limited per message and source address.
    if (this.host.peerLog && !this.authenticated()) this.host.peerLog.line(level, msg, this.remoteAddress, all);
    else this.host.log[level](msg, all);
  }

  /** A limit refused something: one line per message and source a window, whoever the peer is. */
  private refusal(msg: string, fields: Record<string, unknown>): void {
    if (!this.host.log.enabled('warn')) return;
    const all = { conn: this.id, peer: `${this.remoteAddress}:${this.remotePort}`, ...fields };
    if (this.host.peerLog) this.host.peerLog.line('warn', msg, this.remoteAddress, all);
    else this.host.log.warn(msg, all);
  }

  private authenticated(): boolean {
    for (const s of this.authSlots.values()) if (s.state === 'established') return true;
    return false;
  }

  /** Bytes from the peer, in any cut: the framer finds the fragments. */
  receive(data: Buffer): void {
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
    this.fragmentsIn++;
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
        this.calls.get(pdu.header.callId)?.stub.clear();
        this.calls.delete(pdu.header.callId);
        return;
      case 'co_cancel':
        // Methods here run to completion quickly; a cancel has nothing to interrupt.
        return;
      case 'auth3':
        return this.onAuth3(pdu.auth);
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
    let verifier: OutAuth | undefined;
    if (pdu.auth) {
      const leg = this.authLeg(pdu.auth);
      if (typeof leg === 'number') {
        this.nakAndClose(callId, leg, 'authentication refused');
        return;
      }
      verifier = leg;
    }
    let group: AssociationGroup | undefined;
    if (pdu.assocGroupId === 0) {
      group = this.host.groups.create(this.remoteAddress);
    } else {
      group = this.host.groups.joinable(pdu.assocGroupId, this.remoteAddress);
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
    this.clientHeaderSigning = (pdu.header.flags & PFC.SUPPORT_HEADER_SIGN) !== 0;
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
      }, verifier),
    );
    this.log('debug', 'bind', { assocGroup: group.id, results: results.map((r) => r.result) });
  }

  private onAlterContext(pdu: BindPdu): void {
    const callId = pdu.header.callId;
    if (this.state !== 'bound') {
      this.protocolError(callId, 'alter_context before bind');
      return;
    }
    if (pdu.contexts.length === 0 || this.invalidContextList(pdu.contexts)) {
      this.protocolError(callId, 'alter_context with an invalid context list');
      return;
    }
    if (pdu.header.flags & PFC.SUPPORT_HEADER_SIGN) this.clientHeaderSigning = true;
    // An established context named again (to add presentation contexts) needs no leg.
    const slot = pdu.auth && this.authSlots.get(pdu.auth.authContextId);
    const leg = pdu.auth !== undefined && (!slot || slot.state === 'pending');
    // At a limit the answer is the refusal alone: no security leg is run or attached, so a
    // client is never left holding half a handshake the server has already given up on.
    if (leg && !slot && !this.roomForAuthContext()) {
      this.log('info', 'security context limit reached', { limit: this.host.settings.maxAuthContextsPerConnection });
      this.sendAlterContextResp(pdu, pdu.contexts.map(() => LIMIT_REJECTION));
      return;
    }
    const results = this.negotiateAll(pdu.contexts, false);
    if (!results) return;
    if (results.every((r) => r.result !== RESULT.acceptance) && results.some((r) => r.reason === PROVIDER_REASON.local_limit_exceeded)) {
      this.log('info', 'presentation context limit reached', { limit: this.host.settings.maxContextsPerConnection });
      this.sendAlterContextResp(pdu, results);
      return;
    }
    let verifier: OutAuth | undefined;
    if (leg) {
      const r = this.authLeg(pdu.auth!);
      if (typeof r === 'number') {
        this.accessDenied(callId, 0, 'authentication refused in alter_context');
        return;
      }
      verifier = r;
    }
    this.sendAlterContextResp(pdu, results, verifier);
  }

  private sendAlterContextResp(pdu: BindPdu, results: ContextResult[], verifier?: OutAuth): void {
    // alter_context's own sizes and group id are ignored; the bind's stand.
    this.send(
      encodeBindAck('alter_context_resp', {
        callId: pdu.header.callId,
        flags: PFC.FIRST_FRAG | PFC.LAST_FRAG | (pdu.header.flags & PFC.SUPPORT_HEADER_SIGN),
        maxXmitFrag: this.maxXmit,
        maxRecvFrag: this.maxRecv,
        assocGroupId: this.group!.id,
        secondaryAddress: '',
        results,
      }, verifier),
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
    if (!existing && !makeRoom(this.contexts, this.host.settings.maxContextsPerConnection, (p) => this.inUse((call) => call.contextId === p.id))) {
      return reject(PROVIDER_REASON.local_limit_exceeded);
    }
    this.contexts.set(c.contextId, { id: c.contextId, served, abstractSyntax: c.abstractSyntax, lastUse: ++this.tick });
    return { result: RESULT.acceptance, reason: 0, transferSyntax: { ...NDR20_SYNTAX } };
  }

  // ---- calls ----------------------------------------------------------------------------

  private onRequest(pdu: RequestPdu): void {
    const h = pdu.header;
    if (this.state !== 'bound') {
      this.protocolError(h.callId, 'request before bind');
      return;
    }
    const slot = this.requestAuth(pdu);
    if (slot === null) return;
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
      const fromSource = this.host.callsFrom?.(this.remoteAddress) ?? 0;
      call = {
        callId: h.callId,
        contextId: pdu.contextId,
        opnum: pdu.opnum,
        object: pdu.object,
        littleEndian: isLittleEndian(h),
        drep: pdu.raw.readUInt32LE(4),
        stub: new StubAssembly(this.host.reassembly),
        refused: false,
        auth: slot,
      };
      this.calls.set(h.callId, call);
      if (this.calls.size > this.host.settings.maxCallsInFlight) {
        this.refusal('calls in flight per connection exceeded', { limit: this.host.settings.maxCallsInFlight });
        this.refuse(call, FAULT.nca_s_server_too_busy);
      } else if (fromSource >= this.host.settings.maxCallsInFlightPerSource) {
        // One client address's share of the server's calls, whatever connections it spreads them over.
        this.refusal('calls in flight per source exceeded', { limit: this.host.settings.maxCallsInFlightPerSource });
        this.refuse(call, FAULT.nca_s_server_too_busy);
      } else if ((h.drep & 0x0f) !== 0 || h.drep >> 8 !== 0) {
        // Only ASCII characters and IEEE floats are understood (EBCDIC, VAX, Cray, IBM are not).
        this.refuse(call, FAULT.nca_s_unsupported_type);
      }
    } else if (!call) {
      this.protocolError(h.callId, 'fragment of an unknown call');
      return;
    } else if (call.contextId !== pdu.contextId || call.opnum !== pdu.opnum || call.auth !== slot) {
      this.protocolError(h.callId, 'fragment disagrees with its call');
      return;
    }
    if (!call.refused) {
      if (call.stub.size + pdu.stub.length > this.host.settings.maxRequestSize) {
        // As Windows (MS-RPCE 3.3.3.5.4): access denied, then the connection is closed.
        this.log('info', 'request too large', { size: call.stub.size + pdu.stub.length });
        this.sendFault(h.callId, call.contextId, FAULT.access_denied, false);
        this.close();
        return;
      }
      if (!call.stub.tryPush(pdu.stub)) {
        // The process-wide reassembly budget is spent: this call is refused as a busy
        // server's would be (its octets are freed, its remaining fragments dropped); the
        // connection and the other calls go on.
        this.refusal('reassembly budget exhausted', { limit: this.host.settings.maxReassemblyBytesTotal });
        this.refuse(call, FAULT.nca_s_server_too_busy);
      }
    }
    if (!(h.flags & PFC.LAST_FRAG)) return;
    this.calls.delete(h.callId);
    if (call.refused) return;
    const stub = call.stub.take();
    this.host.stats.callsIn++;
    this.dispatch(call, stub);
  }

  /** Answers a call with a fault now and drops the rest of its fragments. */
  private refuse(call: PendingCall, status: number): void {
    call.refused = true;
    call.stub.clear();
    this.sendFault(call.callId, call.contextId, status, true);
  }

  private dispatch(call: PendingCall, stub: Buffer): void {
    const ctx = this.contexts.get(call.contextId);
    if (!ctx) {
      // Windows names no context in this fault (p_cont_id 0) and keeps the connection.
      this.sendFault(call.callId, 0, FAULT.nca_s_unk_if, true);
      return;
    }
    ctx.lastUse = ++this.tick;
    if (call.auth) call.auth.lastUse = this.tick;
    const vt = findVerificationTrailer(stub, call.littleEndian);
    if (vt) {
      const wrong = checkVerificationTrailer(vt, {
        headerSigning: this.clientHeaderSigning,
        interfaceId: ctx.abstractSyntax,
        transferSyntax: NDR20_SYNTAX,
        header2: header2Of({ drep: call.drep, callId: call.callId, contextId: call.contextId, opnum: call.opnum }),
      });
      if (wrong) {
        // As Windows and Samba: access denied for this call; the connection stays.
        this.log('info', 'verification trailer refused', { why: wrong, opnum: call.opnum });
        this.sendFault(call.callId, call.contextId, FAULT.access_denied, false);
        return;
      }
      // The trailer is the runtime's, not the method's: NDR never sees it.
      stub = stub.subarray(0, vt.offset);
    }
    // A scripted fault by opnum answers before the runtime's own checks of the opnum and stub.
    const early = this.host.intercept?.beforeOpnum(ctx.served.decl.name, call.opnum);
    if (early) this.scripted(early, call, ctx, undefined, undefined, () => this.dispatchMethod(call, ctx, stub));
    else this.dispatchMethod(call, ctx, stub);
  }

  /** The method of a call on a known context: looked up, authorized, its stub decoded, run. */
  private dispatchMethod(call: PendingCall, ctx: PresentationContext, stub: Buffer): void {
    const method = ctx.served.decl.opnums[call.opnum];
    const handler = ctx.served.handlers[call.opnum];
    if (!method || !handler) {
      this.sendFault(call.callId, call.contextId, FAULT.nca_s_op_rng_error, true);
      return;
    }
    const auth: CallAuth | undefined = call.auth?.ctx.identity
      ? { authType: call.auth.authType, level: call.auth.level, identity: call.auth.ctx.identity }
      : undefined;
    const denied = this.host.authorize?.(ctx.served.decl, call.opnum, auth) ?? 0;
    if (denied) {
      this.log('info', 'access denied', { iface: ctx.served.decl.name, opnum: call.opnum, authLevel: auth?.level ?? AUTH_LEVEL.none, user: auth?.identity.user });
      this.sendFault(call.callId, call.contextId, denied, true);
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
    const cc: CallContext = { conn: this, callId: call.callId, opnum: call.opnum, object: call.object, auth, stubLength: stub.length };
    const verdict = this.host.intercept?.beforeMethod(ctx.served.decl.name, method.name, args, cc);
    if (verdict) this.scripted(verdict, call, ctx, method, args, () => this.invoke(call, ctx, method, () => handler(args, cc), args));
    else this.invoke(call, ctx, method, () => handler(args, cc), args);
  }

  /**
   * A scripted fault's answer instead of the method's (src/store/faults.ts): the method does
   * not run, except after a delay. A hang leaves the call unanswered and not counted as
   * running, so a graceful stop does not wait for it.
   */
  private scripted(v: CallVerdict, call: PendingCall, ctx: PresentationContext, method: MethodDecl | undefined, args: any, run: () => void): void {
    if ('hang' in v) return;
    if ('drop' in v) {
      this.state = 'closing';
      if (this.io.reset) this.io.reset();
      else this.io.end();
      return;
    }
    if ('fault' in v) {
      this.sendFault(call.callId, call.contextId, v.fault, false);
      return;
    }
    if ('hresult' in v) {
      // beforeOpnum never answers one; without a method there is no answer to carry it.
      if (!method) this.sendFault(call.callId, call.contextId, FAULT.nca_s_fault_unspec, false);
      else this.invoke(call, ctx, method, () => (ctx.served.refuse ? ctx.served.refuse(call.opnum, v.hresult, args) : ndrZeroAnswer(method, v.hresult)), args);
      return;
    }
    this.running.add(call);
    setTimeout(() => {
      this.running.delete(call);
      if (this.transportClosed) return;
      run();
    }, v.delayMs);
  }

  private invoke(call: PendingCall, ctx: PresentationContext, method: MethodDecl, handler: () => unknown, args: any): void {
    this.running.add(call);
    let out: unknown;
    try {
      out = handler();
    } catch (e) {
      this.running.delete(call);
      this.callFailed(call, ctx, e);
      return;
    }
    if (out instanceof Promise) {
      out.then(
        (v) => {
          this.running.delete(call);
          this.respond(call, method.response, args, v);
        },
        (e) => {
          this.running.delete(call);
          this.callFailed(call, ctx, e);
        },
      );
    } else {
      this.running.delete(call);
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
      this.sendResponse(call.callId, call.contextId, stub, call.auth);
    }
    this.afterCall();
  }

  private afterCall(): void {
    if (this.draining && this.running.size === 0) this.close();
  }

  /** Cuts a response stub into fragments no larger than the client's max_recv_frag, protected at the call's level. */
  private sendResponse(callId: number, contextId: number, stub: Buffer, auth: AuthSlot | undefined): void {
    const security = auth && auth.level >= PER_PDU ? { protection: auth.ctx, authType: auth.authType, level: auth.level, contextId: auth.id } : undefined;
    // Windows truncates p_cont_id to its low octet in responses; clients expect it.
    // All the fragments of a response leave in one system call (docs/decisions.md); a
    // response of one fragment is one write already.
    const several = stub.length > stubRoom(this.maxXmit, false, security?.protection);
    if (several) this.io.cork?.();
    emitFragments(
      stub,
      this.maxXmit,
      false,
      security,
      (f, verifier) => encodeResponse({ callId, flags: f.flags, allocHint: f.allocHint, contextId: contextId & 0xff, stub: f.chunk }, verifier),
      (pdu) => this.send(pdu),
    );
    if (several) this.io.uncork?.();
  }

  // ---- authentication -------------------------------------------------------------------

  /**
   * Makes room for one more security context: at the limit the least recently used one that
   * no call holds is forgotten (a failed one is kept: its failure must still close the
   * connection). false when every one is in use.
   */
  private roomForAuthContext(): boolean {
    return makeRoom(this.authSlots, this.host.settings.maxAuthContextsPerConnection, (s) => s.state === 'failed' || this.inUse((c) => c.auth === s));
  }

  /** Whether a call being reassembled or running matches `pred`. */
  private inUse(pred: (c: PendingCall) => boolean): boolean {
    for (const c of this.calls.values()) if (pred(c)) return true;
    for (const c of this.running) if (pred(c)) return true;
    return false;
  }

  /**
   * One leg of a bind or alter_context verifier: starts the context it names or continues
   * it. Returns the verifier to answer with, or the bind_nak reason when refused.
   */
  private authLeg(a: AuthVerifier): OutAuth | number {
    const sec = this.host.security;
    if (a.authLevel < AUTH_LEVEL.connect || a.authLevel > AUTH_LEVEL.pkt_privacy) return BIND_NAK_REASON.reason_not_specified;
    let slot = this.authSlots.get(a.authContextId);
    if (!slot) {
      const ctx = a.authType !== 0 ? sec?.newContext(a.authType) : undefined;
      if (!ctx) return BIND_NAK_REASON.authentication_type_not_recognized;
      if (!this.roomForAuthContext()) return BIND_NAK_REASON.local_limit_exceeded;
      slot = { id: a.authContextId, authType: a.authType, level: a.authLevel, ctx, state: 'pending', lastUse: ++this.tick };
      this.authSlots.set(a.authContextId, slot);
    } else if (slot.authType !== a.authType || slot.level !== a.authLevel) {
      return BIND_NAK_REASON.invalid_checksum;
    }
    slot.lastUse = ++this.tick;
    const r = this.step(slot, a.authValue);
    if (!r) return BIND_NAK_REASON.invalid_checksum;
    return { authType: slot.authType, authLevel: slot.level, authContextId: slot.id, authValue: r.token ?? Buffer.alloc(0), padTo: 4 };
  }

  /** Runs one leg; on the last, checks the session can give the level asked for, and audits. */
  private step(slot: AuthSlot, token: Buffer): { token: Buffer | undefined } | undefined {
    const audit = (outcome: 'success' | 'failure', user: string, domain: string, reason?: string) =>
      this.host.security?.audit({ outcome, authType: slot.authType, authLevel: slot.level, user, domain, client: `${this.remoteAddress}:${this.remotePort}`, reason });
    try {
      const r = slot.ctx.step(token);
      if (r.rejected) {
        slot.state = 'failed';
        audit('failure', '', '', r.rejected);
        return { token: r.token };
      }
      if (r.done) {
        const id = slot.ctx.identity!;
        if (slot.level >= PER_PDU && !slot.ctx.canProtect(slot.level)) {
          // A client that negotiated away signing or sealing cannot have the level it asked for.
          throw new AuthRejected(BIND_NAK_REASON.invalid_checksum, 'session cannot protect the requested level', id.user, id.logonDomain ?? id.domain);
        }
        slot.state = 'established';
        audit('success', id.user, id.logonDomain ?? id.domain);
        const key = slot.ctx.ntlmKey;
        this.io.securityEstablished?.({ authContextId: slot.id, authType: slot.authType, authLevel: slot.level, ...(key ? { ntlm: { exportedSessionKey: key.exportedSessionKey, negotiateFlags: key.negotiateFlags } } : {}) });
      }
      return { token: r.token };
    } catch (e) {
      if (!(e instanceof AuthRejected)) throw e;
      slot.state = 'failed';
      audit('failure', e.user, e.domain, e.reason);
      return undefined;
    }
  }

  /** rpc_auth_3: the last leg of a three-legged authentication. No answer is sent. */
  private onAuth3(a: AuthVerifier | undefined): void {
    if (this.state !== 'bound' || !a) return;
    const slot = this.authSlots.get(a.authContextId);
    if (!slot || slot.state !== 'pending') return;
    // A failure is reported on the next request, which gets access denied and a close.
    this.step(slot, a.authValue);
  }

  /**
   * The security context a request fragment belongs to, verified (and unsealed) at its
   * level. undefined: an unauthenticated call; null: refused (answered and closing).
   */
  private requestAuth(pdu: RequestPdu): AuthSlot | undefined | null {
    const a = pdu.auth;
    const h = pdu.header;
    if (!a) {
      for (const s of this.authSlots.values()) {
        if (s.state === 'failed') {
          this.accessDenied(h.callId, pdu.contextId, 'request after a failed authentication');
          return null;
        }
      }
      // Connect level: the context authenticated the connection, not each PDU.
      const connect = [...this.authSlots.values()].filter((s) => s.state === 'established' && s.level < PER_PDU);
      return connect.length === 1 ? connect[0] : undefined;
    }
    const slot = this.authSlots.get(a.authContextId);
    if (!slot || slot.state !== 'established' || slot.authType !== a.authType || slot.level !== a.authLevel) {
      this.accessDenied(h.callId, pdu.contextId, 'request names no established security context');
      return null;
    }
    if (slot.level >= PER_PDU) {
      if (!verifyFragment(slot.ctx, slot.level, pdu)) {
        this.host.security?.audit({
          outcome: 'failure',
          authType: slot.authType,
          authLevel: slot.level,
          user: slot.ctx.identity?.user ?? '',
          domain: slot.ctx.identity?.logonDomain ?? slot.ctx.identity?.domain ?? '',
          client: `${this.remoteAddress}:${this.remotePort}`,
          reason: 'PDU verifier does not match',
        });
        this.accessDenied(h.callId, pdu.contextId, 'bad verifier');
        return null;
      }
    }
    return slot;
  }

  /** Access denied, then close: the answer to failed authentication after the bind (MS-RPCE 3.3.3.2.2). */
  private accessDenied(callId: number, contextId: number, why: string): void {
    this.log('info', 'access denied', { why });
    this.sendFault(callId, contextId, FAULT.access_denied, false);
    this.close();
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
    if (this.transportClosed) return;
    this.host.stats.pktsOut++;
    this.io.write(buf);
  }

  /** Ends the association: no more input is read; the transport ends once flushed. */
  close(): void {
    if (this.state === 'closing' && !this.draining) return;
    this.state = 'closing';
    this.draining = false;
    this.io.end();
  }

  /** Graceful stop: answer the calls in flight, then close. */
  drain(): void {
    if (this.state === 'closing') return;
    if (this.running.size === 0) {
      this.close();
      return;
    }
    this.state = 'closing';
    this.draining = true;
  }

  /** The transport is gone (closed by either side): forget the calls, leave the group. */
  transportGone(): void {
    if (this.transportClosed) return;
    this.transportClosed = true;
    this.state = 'closing';
    for (const c of this.calls.values()) c.stub.clear();
    this.calls.clear();
    if (this.group) this.host.groups.leave(this.group, this.id);
    this.host.connectionClosed(this);
  }
}

/**
 * Makes room for one more entry in `map`, which holds at most `limit`: when full, forgets
 * the least recently used entry that `busy` does not hold. false when every entry is busy.
 * Clients such as impacket open a new presentation context and a new security context at
 * every change of interface and never reuse the old ones: forgetting the oldest keeps a
 * long session going in bounded memory.
 */
function makeRoom<K, V extends { lastUse: number }>(map: Map<K, V>, limit: number, busy: (v: V) => boolean): boolean {
  if (map.size < limit) return true;
  let victim: K | undefined;
  let oldest = Infinity;
  for (const [k, v] of map) {
    if (v.lastUse < oldest && !busy(v)) {
      oldest = v.lastUse;
      victim = k;
    }
  }
  if (victim === undefined) return false;
  map.delete(victim);
  return true;
}
