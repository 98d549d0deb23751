/**
 * One TCP conversation read as a DCE/RPC connection (C706 12, MS-RPCE 2.2): each direction
 * cut into PDUs, binds and alter_contexts followed to know each presentation context's
 * interface, security contexts followed through their auth legs (NTLM, or NTLM in SPNEGO)
 * to the keys that verify and unseal their PDUs, fragments reassembled per call, stubs
 * decoded by the method's declaration, and request and response paired by call_id.
 */
import { expandInterfacePointers } from './expand.js';
import { AUTH_LEVEL, AUTH_TYPE, COMMON_HEADER_SIZE, PFC, PTYPE, SEC_TRAILER_SIZE } from '../dcerpc/constants.js';
import type { InterfaceDecl } from '../dcerpc/interface.js';
import { parsePdu, isLittleEndian } from '../dcerpc/pdu/parser.js';
import type { AuthVerifier, BindAckPdu, BindPdu, FaultPdu, Pdu, RequestPdu, ResponsePdu, SyntaxId } from '../dcerpc/pdu/types.js';
import { findVerificationTrailer } from '../dcerpc/pdu/verification-trailer.js';
import { bodyStart } from '../dcerpc/protection.js';
import { StubAssembly } from '../dcerpc/reassembly.js';
import { ndrDecode } from '../ndr/index.js';
import type { StreamDirection, TcpConversation } from '../pcap/streams.js';
import { MESSAGE_TYPE, NTLMSSP_SIGNATURE } from '../security/ntlm/constants.js';
import { parseAuthenticate, parseChallenge, type AuthenticateMessage, type ChallengeMessage } from '../security/ntlm/messages.js';
import { NEG_STATE, decodeNegotiationToken } from '../security/spnego/tokens.js';
import { statusHex, statusName } from '../status/index.js';
import { endpointText, type CaptureNote, type DecodedCall } from './calls.js';
import { interfaceByUuid } from './interfaces.js';
import type { IpidMap } from './ipids.js';
import type { KeyRing } from './keys.js';
import type { DecoderLimits } from './limits.js';
import { NtlmStreamVerifier } from './ntlm-stream.js';

export interface SessionShared {
  readonly keys: KeyRing;
  readonly ipids: IpidMap;
  readonly limits: DecoderLimits;
  emit(call: DecodedCall): void;
  note(n: CaptureNote): void;
}

type Protection = DecodedCall['protection'];
/** Worse protection wins when a call's fragments (or its two halves) differ. */
const RANK: Record<Protection, number> = { none: 0, verified: 1, decrypted: 2, 'no-key': 3, 'bad-key': 4 };
const worse = (a: Protection, b: Protection): Protection => (RANK[b] > RANK[a] ? b : a);

const TO_SERVER_TYPES = new Set<number>([PTYPE.request, PTYPE.bind, PTYPE.alter_context, PTYPE.rpc_auth_3, PTYPE.co_cancel, PTYPE.orphaned]);
const TO_CLIENT_TYPES = new Set<number>([PTYPE.response, PTYPE.fault, PTYPE.bind_ack, PTYPE.bind_nak, PTYPE.alter_context_resp, PTYPE.shutdown]);

const nameOf = (n: number) => statusName(n) ?? statusHex(n);

/** A security context as the auth legs show it (MS-RPCE 3.3.1.5.2: one per auth_context_id). */
interface SecurityContext {
  authType: number;
  authLevel: number;
  mechTypesDer?: Buffer;
  challenge?: ChallengeMessage;
  authenticate?: AuthenticateMessage;
  /** Verifies (and unseals) requests, and responses. */
  requests?: NtlmStreamVerifier;
  responses?: NtlmStreamVerifier;
  /** Why nothing can be verified: no key at hand, or the key is wrong. */
  failed?: { protection: 'no-key' | 'bad-key'; why: string };
  /** Octets lost in a gap since the direction was last in step, per direction. */
  lost: { toServer?: number; toClient?: number };
}

interface Assembly {
  stub: StubAssembly;
  fragments: number;
  timeNs: bigint;
  protection: Protection;
  /** Why the stub cannot be decoded (sealed and unreadable, too big). */
  unreadable?: string;
  littleEndian: boolean;
  first: RequestPdu | ResponsePdu;
}

interface Direction {
  buf: Buffer;
  /** Looking for a PDU header (after a gap, or when the capture began mid-stream). */
  hunting: boolean;
  /** Octets dropped since the last complete PDU (partial PDU + gap + skipped while hunting), for key recovery. */
  lostSinceLast: number;
  /** The gap's size was unknown: lost octets cannot be counted. */
  lostUnknown: boolean;
  /** Octets lost (-1: how many is unknown) not yet charged to a security context. */
  pendingLost?: number;
  seenPdu: boolean;
  hunted: number;
  assemblies: Map<number, Assembly>;
}

export class CaptureSession {
  private readonly client: string;
  private readonly server: string;
  private ignored = false;
  private readonly dirs: Record<StreamDirection, Direction>;
  /** p_cont_id → abstract syntax, accepted ones only. */
  private readonly contexts = new Map<number, SyntaxId>();
  /** binds and alter_contexts waiting for their answer, in order. */
  private readonly pendingBinds: BindPdu[] = [];
  private readonly security = new Map<number, SecurityContext>();
  /** Requests waiting for their response, by call_id, oldest first. */
  private readonly pending = new Map<number, { call: DecodedCall; scope: unknown; decl?: InterfaceDecl }>();

  constructor(
    private readonly conv: TcpConversation,
    private readonly shared: SessionShared,
  ) {
    this.client = endpointText(conv.client);
    this.server = endpointText(conv.server);
    const dir = (): Direction => ({ buf: Buffer.alloc(0), hunting: !conv.sawSyn, lostSinceLast: 0, lostUnknown: false, seenPdu: false, hunted: 0, assemblies: new Map() });
    this.dirs = { toServer: dir(), toClient: dir() };
  }

  private note(message: string, timeNs?: bigint): void {
    this.shared.note({ conversation: this.conv.id, timeNs, message });
  }

  // ---------------------------------------------------------------------------------------
  // Framing

  data(dir: StreamDirection, timeNs: bigint, bytes: Buffer): void {
    if (this.ignored || bytes.length === 0) return;
    const d = this.dirs[dir];
    d.buf = d.buf.length === 0 ? bytes : Buffer.concat([d.buf, bytes]);
    this.frame(dir, d, timeNs);
  }

  gap(dir: StreamDirection, timeNs: bigint, missing: number | undefined): void {
    if (this.ignored) return;
    const d = this.dirs[dir];
    const arrow = dir === 'toServer' ? 'client→server' : 'server→client';
    this.note(`${missing === undefined ? 'octets' : `${missing} octets`} missing ${arrow}: resynchronising on the next PDU header`, timeNs);
    d.lostSinceLast += d.buf.length + (missing ?? 0);
    if (missing === undefined) d.lostUnknown = true;
    d.buf = Buffer.alloc(0);
    d.hunting = true;
    d.hunted = 0;
    // Calls whose fragments were arriving lost some.
    for (const [callId, a] of d.assemblies) {
      if (dir === 'toServer') {
        const call = this.newCall(a.first as RequestPdu, a.timeNs);
        call.protection = a.protection;
        call.requestError = 'fragments lost in a gap';
        this.addNote(call, 'request fragments lost in a gap');
        this.park(callId, call, undefined, undefined);
      } else {
        const p = this.pending.get(callId);
        if (p) {
          this.pending.delete(callId);
          p.call.responseTimeNs = a.timeNs;
          p.call.responseError = 'fragments lost in a gap';
          this.addNote(p.call, 'response fragments lost in a gap');
          this.shared.emit(p.call);
        }
      }
    }
    d.assemblies.clear();
  }

  close(timeNs: bigint, how: 'fin' | 'rst' | 'end-of-capture'): void {
    for (const { call } of this.pending.values()) {
      this.addNote(call, how === 'end-of-capture' ? 'no response in the capture' : `no response: the connection ended (${how === 'rst' ? 'reset' : 'closed'})`);
      this.shared.emit(call);
    }
    this.pending.clear();
    for (const dir of ['toServer', 'toClient'] as const) {
      const d = this.dirs[dir];
      if (!this.ignored && d.buf.length > 0 && d.seenPdu) this.note(`${d.buf.length} octets of an incomplete PDU at the end (${dir === 'toServer' ? 'client→server' : 'server→client'})`, timeNs);
      d.buf = Buffer.alloc(0);
      d.assemblies.clear();
    }
  }

  /** A plausible common header at `at`: version 5.0/5.1, a PTYPE of this direction, sane lengths and drep. */
  private plausible(buf: Buffer, at: number, dir: StreamDirection): boolean {
    if (buf[at] !== 5 || (buf[at + 1]! !== 0 && buf[at + 1]! !== 1)) return false;
    const ptype = buf[at + 2]!;
    if (!(dir === 'toServer' ? TO_SERVER_TYPES : TO_CLIENT_TYPES).has(ptype)) return false;
    const drep0 = buf[at + 4]!;
    if ((drep0 & 0xe0) !== 0 || (drep0 & 0x0e) !== 0 || buf[at + 5]! > 3) return false;
    const le = (drep0 & 0x10) !== 0;
    const fragLength = le ? buf.readUInt16LE(at + 8) : buf.readUInt16BE(at + 8);
    const authLength = le ? buf.readUInt16LE(at + 10) : buf.readUInt16BE(at + 10);
    return fragLength >= COMMON_HEADER_SIZE && fragLength <= this.shared.limits.maxFragmentSize && authLength + COMMON_HEADER_SIZE <= fragLength;
  }

  private frame(dir: StreamDirection, d: Direction, timeNs: bigint): void {
    for (;;) {
      if (this.ignored) return;
      if (d.hunting) {
        let at = -1;
        for (let i = 0; i + COMMON_HEADER_SIZE <= d.buf.length; i++) {
          if (this.plausible(d.buf, i, dir)) {
            at = i;
            break;
          }
        }
        const drop = at >= 0 ? at : Math.max(0, d.buf.length - (COMMON_HEADER_SIZE - 1));
        d.hunted += drop;
        d.lostSinceLast += drop;
        d.buf = d.buf.subarray(drop);
        if (at < 0) {
          if (!d.seenPdu && !this.dirs.toServer.seenPdu && !this.dirs.toClient.seenPdu && d.hunted > this.shared.limits.maxHuntBytes) {
            this.ignore(`no DCE/RPC PDU header in the first ${d.hunted} octets: not DCE/RPC, ignored`, timeNs);
          }
          return;
        }
      }
      if (d.buf.length < COMMON_HEADER_SIZE) return;
      if (!this.plausible(d.buf, 0, dir)) {
        if (!d.seenPdu && !this.dirs.toServer.seenPdu && !this.dirs.toClient.seenPdu && this.conv.sawSyn) {
          this.ignore('the stream does not start with a DCE/RPC PDU header: not DCE/RPC, ignored', timeNs);
          return;
        }
        this.note(`not a PDU header where one was due (${dir === 'toServer' ? 'client→server' : 'server→client'}): resynchronising`, timeNs);
        d.hunting = true;
        d.hunted = 0;
        continue;
      }
      const le = (d.buf[4]! & 0x10) !== 0;
      const fragLength = le ? d.buf.readUInt16LE(8) : d.buf.readUInt16BE(8);
      if (d.buf.length < fragLength) return;
      // A copy: unsealing works in place, and the caller's buffers stay as they were.
      const frag = Buffer.from(d.buf.subarray(0, fragLength));
      let pdu: Pdu;
      try {
        pdu = parsePdu(frag);
      } catch (e) {
        if (d.hunting) {
          // A false start: look again one octet further.
          d.buf = d.buf.subarray(1);
          d.hunted += 1;
          d.lostSinceLast += 1;
          continue;
        }
        this.note(`malformed PDU skipped: ${(e as Error).message}`, timeNs);
        d.buf = d.buf.subarray(fragLength);
        continue;
      }
      d.buf = d.buf.subarray(fragLength);
      if (d.hunting && d.seenPdu) this.note(`resynchronised on a ${pdu.type} PDU (call_id ${pdu.header.callId}) after ${d.hunted} octets`, timeNs);
      d.hunting = false;
      d.seenPdu = true;
      if (d.lostSinceLast > 0 || d.lostUnknown) this.markLost(dir, d);
      try {
        this.handle(dir, d, pdu, timeNs);
      } catch (e) {
        this.note(`${pdu.type} PDU (call_id ${pdu.header.callId}) not understood: ${(e as Error).message}`, timeNs);
      }
      d.lostSinceLast = 0;
      d.lostUnknown = false;
    }
  }

  private ignore(why: string, timeNs: bigint): void {
    this.ignored = true;
    this.note(`${this.client} → ${this.server}: ${why}`, timeNs);
    for (const d of Object.values(this.dirs)) {
      d.buf = Buffer.alloc(0);
      d.assemblies.clear();
    }
  }

  // ---------------------------------------------------------------------------------------
  // PDUs

  private handle(dir: StreamDirection, d: Direction, pdu: Pdu, timeNs: bigint): void {
    switch (pdu.type) {
      case 'bind':
      case 'alter_context':
        if (this.pendingBinds.length < 16) this.pendingBinds.push(pdu);
        if (pdu.auth) this.clientLeg(pdu.auth, timeNs);
        return;
      case 'auth3':
        if (pdu.auth) this.clientLeg(pdu.auth, timeNs);
        return;
      case 'bind_ack':
      case 'alter_context_resp':
        this.bindAnswer(pdu);
        if (pdu.auth) this.serverLeg(pdu.auth, timeNs);
        return;
      case 'bind_nak': {
        const b = this.pendingBinds.shift();
        this.note(`${b?.type ?? 'bind'} refused (bind_nak reason ${pdu.reason})`, timeNs);
        return;
      }
      case 'request':
      case 'response':
        this.fragment(dir, d, pdu, timeNs);
        return;
      case 'fault':
        this.fault(pdu, timeNs);
        return;
      case 'co_cancel':
      case 'orphaned': {
        const p = this.pending.get(pdu.header.callId);
        if (p) this.addNote(p.call, `the client sent ${pdu.type}`);
        return;
      }
      default:
        return;
    }
  }

  private bindAnswer(pdu: BindAckPdu): void {
    const bind = this.pendingBinds.shift();
    if (!bind) return;
    bind.contexts.forEach((c, i) => {
      const r = pdu.results[i];
      if (r?.result !== 0) return;
      if (!this.contexts.has(c.contextId) && this.contexts.size >= this.shared.limits.maxPresentationContexts) return;
      this.contexts.set(c.contextId, c.abstractSyntax);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Security contexts

  private secContext(a: AuthVerifier, fresh: boolean): SecurityContext | undefined {
    let s = this.security.get(a.authContextId);
    if (s && !fresh) return s;
    if (!s && this.security.size >= this.shared.limits.maxAuthContexts) return undefined;
    s = { authType: a.authType, authLevel: a.authLevel, lost: {} };
    this.security.set(a.authContextId, s);
    return s;
  }

  /** An NTLM message's type, or undefined when the token is none. */
  private static ntlmType(token: Buffer | undefined): number | undefined {
    if (!token || token.length < 12 || !token.subarray(0, 8).equals(NTLMSSP_SIGNATURE)) return undefined;
    return token.readUInt32LE(8);
  }

  private clientLeg(a: AuthVerifier, timeNs: bigint): void {
    if (a.authType !== AUTH_TYPE.winnt && a.authType !== AUTH_TYPE.gss_negotiate) {
      this.secContext(a, true);
      return;
    }
    let ntlm: Buffer | undefined;
    let mic: Buffer | undefined;
    let mechTypesDer: Buffer | undefined;
    if (a.authType === AUTH_TYPE.winnt) ntlm = a.authValue;
    else {
      try {
        const t = decodeNegotiationToken(a.authValue);
        if (t.kind === 'init') {
          mechTypesDer = t.token.mechTypesDer;
          ntlm = t.token.mechToken;
        } else {
          ntlm = t.token.responseToken;
          mic = t.token.mechListMIC;
        }
      } catch (e) {
        this.note(`SPNEGO token not understood: ${(e as Error).message}`, timeNs);
        return;
      }
    }
    const type = CaptureSession.ntlmType(ntlm);
    // A NegTokenInit, or NTLM's NEGOTIATE, starts the context over.
    const s = this.secContext(a, mechTypesDer !== undefined || (a.authType === AUTH_TYPE.winnt && type === MESSAGE_TYPE.NEGOTIATE));
    if (!s) return;
    s.authLevel = a.authLevel;
    if (mechTypesDer) s.mechTypesDer = mechTypesDer;
    if (type !== MESSAGE_TYPE.AUTHENTICATE) return;
    try {
      s.authenticate = parseAuthenticate(ntlm!);
    } catch (e) {
      s.failed = { protection: 'no-key', why: `AUTHENTICATE not understood: ${(e as Error).message}` };
      return;
    }
    this.establish(a.authContextId, s);
    if (s.requests && a.authType === AUTH_TYPE.gss_negotiate && mic && !s.requests.mechListMic(s.mechTypesDer, mic)) {
      s.failed ??= { protection: 'bad-key', why: "the client's mechListMIC does not match the key" };
    }
  }

  private serverLeg(a: AuthVerifier, timeNs: bigint): void {
    const s = this.security.get(a.authContextId);
    if (!s) return;
    let ntlm: Buffer | undefined;
    let mic: Buffer | undefined;
    if (a.authType === AUTH_TYPE.winnt) ntlm = a.authValue;
    else if (a.authType === AUTH_TYPE.gss_negotiate) {
      try {
        const t = decodeNegotiationToken(a.authValue);
        if (t.kind !== 'resp') return;
        ntlm = t.token.responseToken;
        if (t.token.negState === NEG_STATE.accept_completed) mic = t.token.mechListMIC;
      } catch (e) {
        this.note(`SPNEGO token not understood: ${(e as Error).message}`, timeNs);
        return;
      }
    } else return;
    if (CaptureSession.ntlmType(ntlm) === MESSAGE_TYPE.CHALLENGE) {
      try {
        s.challenge = parseChallenge(ntlm!);
      } catch {
        // no challenge: a password cannot derive this context's key
      }
    }
    if (mic && s.responses && !s.responses.mechListMic(s.mechTypesDer, mic)) {
      s.failed ??= { protection: 'bad-key', why: "the server's mechListMIC does not match the key" };
    }
  }

  /** The keys of a context whose AUTHENTICATE was seen (or, with a key file, whose handshake was not). */
  private establish(authContextId: number, s: SecurityContext): void {
    const r = this.shared.keys.keyFor(this.client, this.server, authContextId, s.challenge, s.authenticate);
    s.requests = s.responses = undefined;
    s.failed = undefined;
    if (r === undefined) {
      s.failed = { protection: 'no-key', why: this.shared.keys.empty ? 'no password, hash or key file given' : 'no key for this context' };
      return;
    }
    if ('bad' in r) {
      s.failed = { protection: 'bad-key', why: r.bad };
      return;
    }
    s.requests = new NtlmStreamVerifier(r.key, 'client');
    s.responses = new NtlmStreamVerifier(r.key, 'server');
  }

  /** Checks (and at privacy unseals) one request or response fragment. */
  private protect(dir: StreamDirection, d: Direction, pdu: RequestPdu | ResponsePdu): { protection: Protection; unreadable?: string; note?: string } {
    const a = pdu.auth;
    if (!a || a.authLevel < AUTH_LEVEL.call) return { protection: 'none' };
    let s = this.security.get(a.authContextId);
    if (!s) {
      // The handshake is not in the capture: only a key file can help.
      s = this.secContext(a, true);
      if (!s) return { protection: 'no-key', unreadable: 'too many security contexts' };
      s.authLevel = a.authLevel;
      this.establish(a.authContextId, s);
      // SPNEGO's mechListMIC spent sequence number 0 of both directions (the usual case).
      if (a.authType === AUTH_TYPE.gss_negotiate) {
        s.requests?.restart(1);
        s.responses?.restart(1);
      }
    }
    const privacy = a.authLevel >= AUTH_LEVEL.pkt_privacy;
    if (s.failed || !s.requests || !s.responses) {
      const f = s.failed ?? { protection: 'no-key' as const, why: 'no key for this context' };
      return { protection: f.protection, unreadable: privacy ? `sealed, and not decrypted: ${f.why}` : undefined, note: f.why };
    }
    const v = dir === 'toServer' ? s.requests : s.responses;
    const h = pdu.header;
    const sigAt = h.fragLength - h.authLength;
    const start = bodyStart(pdu.type === 'request' && pdu.object !== undefined);
    const end = sigAt - SEC_TRAILER_SIZE;
    if (d.pendingLost !== undefined) {
      s.lost[dir] = d.pendingLost;
      d.pendingLost = undefined;
    }
    const lost = s.lost[dir];
    let ok: boolean;
    if (lost !== undefined) {
      ok = v.recover(lost, a.authLevel, pdu.raw, start, end, sigAt, this.shared.limits.maxRecoveryKeystream);
      if (!ok) return { protection: 'no-key', unreadable: privacy ? 'sealed, and the keystream was lost in a gap' : undefined, note: 'the security state was lost in a gap' };
      s.lost[dir] = undefined;
    } else ok = v.verify(a.authLevel, pdu.raw, start, end, sigAt);
    if (!ok) return { protection: 'bad-key', unreadable: privacy ? 'sealed, and the verifier does not match the key (a wrong password or key)' : undefined, note: 'the verifier does not match the key' };
    return { protection: privacy ? 'decrypted' : 'verified' };
  }

  /**
   * Octets were lost before this PDU: every security context of this direction may be out of
   * step with its sender. The next protected fragment's context is told how many octets (when
   * known: they are taken to be its own lost fragments) to find its place in the keystream
   * again; the others go on only if they lost nothing (their next sequence number says so).
   */
  private markLost(dir: StreamDirection, d: Direction): void {
    d.pendingLost = d.pendingLost !== undefined || d.lostUnknown ? -1 : d.lostSinceLast;
    for (const s of this.security.values()) s.lost[dir] = -1;
  }

  // ---------------------------------------------------------------------------------------
  // Calls

  private newCall(pdu: RequestPdu | ResponsePdu | FaultPdu, timeNs: bigint | undefined): DecodedCall {
    const syntax = this.contexts.get(pdu.contextId);
    const decl = syntax && interfaceByUuid(syntax.uuid);
    const call: DecodedCall = {
      conversation: this.conv.id,
      client: this.client,
      server: this.server,
      callId: pdu.header.callId,
      contextId: pdu.contextId,
      opnum: pdu.type === 'request' ? pdu.opnum : -1,
      protection: 'none',
    };
    if (timeNs !== undefined && pdu.type === 'request') call.requestTimeNs = timeNs;
    if (syntax) call.interface = { name: decl?.name ?? syntax.uuid, uuid: syntax.uuid, version: `${syntax.major}.${syntax.minor}` };
    if (pdu.type === 'request') {
      if (pdu.object !== undefined) {
        call.object = pdu.object;
        const known = this.shared.ipids.lookup(pdu.object);
        if (known) call.objectInterface = known;
      }
      const m = decl?.opnums[pdu.opnum];
      if (m) call.method = m.name;
    }
    if (pdu.auth) {
      call.authType = pdu.auth.authType;
      call.authLevel = pdu.auth.authLevel;
    }
    return call;
  }

  private addNote(call: DecodedCall, note: string): void {
    (call.notes ??= []).includes(note) || call.notes.push(note);
  }

  private fragment(dir: StreamDirection, d: Direction, pdu: RequestPdu | ResponsePdu, timeNs: bigint): void {
    const callId = pdu.header.callId;
    const lim = this.shared.limits;
    const prot = this.protect(dir, d, pdu);
    let a = d.assemblies.get(callId);
    if (pdu.header.flags & PFC.FIRST_FRAG || !a) {
      if (a && pdu.header.flags & PFC.FIRST_FRAG) this.note(`call_id ${callId}: a new first fragment before the last one`, timeNs);
      a = { stub: new StubAssembly(), fragments: 0, timeNs, protection: 'none', littleEndian: isLittleEndian(pdu.header), first: pdu };
      if (!(pdu.header.flags & PFC.FIRST_FRAG)) a.unreadable = 'the first fragments are not in the capture';
      d.assemblies.set(callId, a);
    }
    a.fragments++;
    a.protection = worse(a.protection, prot.protection);
    if (prot.unreadable) a.unreadable ??= prot.unreadable;
    if (!a.unreadable) {
      if (a.fragments > lim.maxFragmentsPerCall) a.unreadable = `more than ${lim.maxFragmentsPerCall} fragments`;
      else if (a.stub.size + pdu.stub.length > lim.maxStubSize) a.unreadable = `stub larger than ${lim.maxStubSize} octets`;
      else a.stub.push(pdu.stub);
      if (a.unreadable) a.stub.clear();
    }
    if (!(pdu.header.flags & PFC.LAST_FRAG)) return;
    d.assemblies.delete(callId);
    const stub = a.unreadable ? undefined : a.stub.take();
    if (pdu.type === 'request') this.request(a, stub, prot.note);
    else this.response(a, stub, prot.note);
  }

  private request(a: Assembly, stub: Buffer | undefined, why: string | undefined): void {
    const first = a.first as RequestPdu;
    const call = this.newCall(first, a.timeNs);
    call.protection = a.protection;
    if (why && a.protection !== 'decrypted' && a.protection !== 'verified') this.addNote(call, why);
    const syntax = this.contexts.get(first.contextId);
    const decl = syntax ? interfaceByUuid(syntax.uuid) : undefined;
    let scope: unknown;
    if (!stub) call.requestError = a.unreadable;
    else if (!syntax) call.requestError = `presentation context ${first.contextId} was not seen bound`;
    else if (!decl) call.requestError = `interface ${syntax.uuid} v${syntax.major}.${syntax.minor} is none this reader knows`;
    else {
      const m = decl.opnums[first.opnum];
      if (!m) call.requestError = `opnum ${first.opnum} is not declared for ${decl.name}`;
      else {
        // The verification trailer (MS-RPCE 2.2.2.13) follows the stub data proper.
        const vt = findVerificationTrailer(stub, a.littleEndian);
        const body = vt ? stub.subarray(0, vt.offset) : stub;
        try {
          scope = ndrDecode(m.request, body, a.littleEndian);
          call.requestArgs = scope;
          call.request = expandInterfacePointers(m.name, scope, 'in');
        } catch (e) {
          call.requestError = `stub not decoded: ${(e as Error).message}`;
        }
      }
    }
    this.park(first.header.callId, call, scope, decl);
  }

  private park(callId: number, call: DecodedCall, scope: unknown, decl: InterfaceDecl | undefined): void {
    const old = this.pending.get(callId);
    if (old) {
      this.pending.delete(callId);
      this.addNote(old.call, 'no response: the call_id was used again');
      this.shared.emit(old.call);
    }
    this.pending.set(callId, { call, scope, decl });
    if (this.pending.size > this.shared.limits.maxPendingCalls) {
      const [oldestId, oldest] = this.pending.entries().next().value!;
      this.pending.delete(oldestId);
      this.addNote(oldest.call, `no response among the next ${this.shared.limits.maxPendingCalls} calls`);
      this.shared.emit(oldest.call);
    }
  }

  private response(a: Assembly, stub: Buffer | undefined, why: string | undefined): void {
    const callId = a.first.header.callId;
    const p = this.pending.get(callId);
    this.pending.delete(callId);
    const call = p?.call ?? this.newCall(a.first, undefined);
    if (!p) this.addNote(call, 'no request in the capture');
    call.responseTimeNs = a.timeNs;
    call.protection = worse(call.protection, a.protection);
    if (why && a.protection !== 'decrypted' && a.protection !== 'verified') this.addNote(call, why);
    const m = p?.decl?.opnums[call.opnum];
    if (!stub) call.responseError = a.unreadable;
    else if (!m) call.responseError = p ? (call.requestError ?? 'no declaration for the method') : 'the request is not in the capture';
    else {
      try {
        const out = ndrDecode(m.response, stub, a.littleEndian, p!.scope as any) as Record<string, unknown>;
        call.response = out;
        const st = typeof out.hr === 'number' ? out.hr : typeof out.status === 'number' ? out.status : undefined;
        if (st !== undefined) call.status = { value: st, name: nameOf(st) };
        this.shared.ipids.learnFromCall(m.name, p!.scope, out);
        call.response = expandInterfacePointers(m.name, out, 'out');
      } catch (e) {
        call.responseError = `stub not decoded: ${(e as Error).message}`;
      }
    }
    this.shared.emit(call);
  }

  private fault(pdu: FaultPdu, timeNs: bigint): void {
    const callId = pdu.header.callId;
    const p = this.pending.get(callId);
    this.pending.delete(callId);
    const call = p?.call ?? this.newCall(pdu, undefined);
    if (!p) this.addNote(call, 'no request in the capture');
    call.responseTimeNs = timeNs;
    call.fault = { status: pdu.status >>> 0, name: nameOf(pdu.status) };
    this.shared.emit(call);
  }
}
