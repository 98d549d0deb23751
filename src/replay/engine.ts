/**
 * `scmp replay`'s engine: the recorded client calls issued again against a live host, in
 * their recorded order, each answer compared with the recorded one after volatile values are
 * mapped (src/interfaces/volatile.ts). Conversations to the endpoint-mapper port go to the
 * target's port; conversations to an object exporter go to the live exporter the live
 * activation (or OXID resolution) named. Calls that change state run only when allowed.
 */
import { parseTcpBinding } from '../client/exporter-bindings.js';
import { isAuthenticationFailure, isProtocolRefusal, isUnreachable } from '../client/errors.js';
import { InterfaceRefusedError, RpcFaultError } from '../client/rpc-client.js';
import { expandInterfacePointers } from '../capture/expand.js';
import { interfaceByUuid } from '../capture/interfaces.js';
import type { DecodedCall } from '../capture/calls.js';
import { FAULT } from '../dcerpc/constants.js';
import { STATE_CHANGING_METHODS } from '../interfaces/volatile.js';
import { ndrDecode, ndrEncode } from '../ndr/index.js';
import { E_ACCESSDENIED } from '../status/codes.js';
import { Comparison, type Difference } from './compare.js';
import { ignoreMatcher } from './ignore.js';
import { LiveConnection, type ConversationAuth, type TargetCredentials } from './live.js';
import { VolatileMap } from './mapping.js';
import type { RecordedCall } from './recording.js';
import { showStatus } from './values.js';

export interface ReplayTarget extends TargetCredentials {
  host: string;
  /** The endpoint mapper's port (135). */
  port: number;
  /** Overrides the recorded authentication type (9 SPNEGO, 10 NTLM) of every connection. */
  authType?: number;
  /** Overrides the recorded authentication level. */
  authLevel?: number;
  /** Limit for each connect and each call. */
  timeoutMs: number;
}

export interface ReplayOptions {
  target: ReplayTarget;
  allowChanges?: boolean;
  stopOnFirst?: boolean;
  /** Field-path globs whose differences are not counted (ignore.ts). */
  ignore?: readonly string[];
  /** Each call's result as soon as it is known (progress). */
  onResult?(r: CallResult): void;
}

export type Outcome = 'match' | 'differ' | 'skipped' | 'failed' | 'not-replayed';

export interface CallResult {
  index: number;
  conversation: number;
  sequence: number;
  /** `Interface::Method` (or what is known of it). */
  call: string;
  outcome: Outcome;
  differences: Difference[];
  /** Differences left out by --ignore. */
  ignored: number;
  /** Why skipped, failed or not replayed; or what the live side said when it did not answer. */
  reason?: string;
  /** Earlier state-changing calls that were skipped: this answer may depend on them. */
  dependsOn?: string[];
}

export interface ReplaySummary {
  calls: number;
  conversations: number;
  matched: number;
  differed: number;
  skipped: number;
  failed: number;
  notReplayed: number;
  differences: number;
  ignored: number;
}

export type FatalKind = 'logon' | 'connection' | 'access-denied';

export interface ReplayReport {
  results: CallResult[];
  summary: ReplaySummary;
  /** Why the replay could not go on (or, access-denied, why the object calls could not run). */
  fatal?: { kind: FatalKind; message: string };
}

/** Interfaces served on the endpoint-mapper port; the rest are an object exporter's. */
const RESOLVER_INTERFACES = new Set(['IRemoteSCMActivator', 'IActivation', 'IObjectExporter', 'epm']);
const ACTIVATIONS = new Set(['RemoteCreateInstance', 'RemoteGetClassObject', 'RemoteActivation']);

class Fatal extends Error {
  constructor(
    readonly kind: FatalKind,
    message: string,
  ) {
    super(message);
  }
}

function within<T>(p: Promise<T>, ms: number, what: string, abort: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort();
      reject(new Fatal('connection', `${what} did not complete within ${ms} ms`));
    }, ms);
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

type Answer = { kind: 'response'; value: unknown } | { kind: 'fault'; status: number } | { kind: 'closed'; why: string } | { kind: 'refused'; why: string } | { kind: 'none'; why: string };

function describe(a: Answer): string {
  switch (a.kind) {
    case 'response':
      return 'a response';
    case 'fault':
      return `fault ${showStatus(a.status)}`;
    case 'closed':
      return `the connection closed (${a.why})`;
    case 'refused':
      return `refused (${a.why})`;
    case 'none':
      return a.why;
  }
}

function recordedAnswer(c: DecodedCall): Answer {
  if (c.fault) return { kind: 'fault', status: c.fault.status };
  if (c.response !== undefined) return { kind: 'response', value: c.response };
  return { kind: 'none', why: c.responseError ?? (c.notes ?? []).find((n) => n.startsWith('no response')) ?? 'no response in the capture' };
}

export const callName = (c: DecodedCall): string => `${c.interface?.name ?? 'unknown interface'}::${c.method ?? (c.opnum >= 0 ? `opnum ${c.opnum}` : '?')}`;

/** Replays `calls` (in order) against the target. Never throws for what the target does. */
export async function replay(calls: readonly RecordedCall[], o: ReplayOptions): Promise<ReplayReport> {
  const r = new Replay(calls, o);
  try {
    return await r.run();
  } finally {
    r.closeAll();
  }
}

class Replay {
  private readonly map = new VolatileMap();
  private readonly live = new Map<number, LiveConnection>();
  private readonly lastOf = new Map<number, number>();
  private readonly kindOf = new Map<number, 'resolver' | 'exporter'>();
  private readonly authOf = new Map<number, ConversationAuth | undefined>();
  /** Recorded exporter port → live exporter addresses, from paired bindings. */
  private readonly exporters = new Map<number, { host: string; port: number }[]>();
  private latestExporter: { host: string; port: number }[] | undefined;
  private activationFailed: string | undefined;
  private readonly skippedChanges: string[] = [];
  private readonly ignore: (path: string, call: string) => boolean;
  private readonly results: CallResult[] = [];
  private fatal: ReplayReport['fatal'];

  constructor(
    private readonly calls: readonly RecordedCall[],
    private readonly o: ReplayOptions,
  ) {
    this.ignore = ignoreMatcher(o.ignore ?? []);
    for (const rc of calls) {
      const c = rc.call;
      this.lastOf.set(c.conversation, rc.index);
      if (!this.kindOf.has(c.conversation) && c.interface) this.kindOf.set(c.conversation, RESOLVER_INTERFACES.has(c.interface.name) ? 'resolver' : 'exporter');
      if (!this.authOf.has(c.conversation) && c.opnum >= 0) {
        this.authOf.set(c.conversation, c.authType !== undefined && c.authLevel !== undefined ? { authType: c.authType, authLevel: c.authLevel } : undefined);
      }
    }
  }

  closeAll(): void {
    for (const l of this.live.values()) l.close(true);
    this.live.clear();
  }

  async run(): Promise<ReplayReport> {
    for (const rc of this.calls) {
      let result: CallResult;
      if (this.fatal && this.fatal.kind !== 'access-denied') result = this.result(rc, 'not-replayed', [], `not replayed: ${this.fatal.message}`);
      else if (this.stopped) result = this.result(rc, 'not-replayed', [], 'not replayed: stopped at the first difference (--stop-on-first)');
      else {
        try {
          result = await this.one(rc);
        } catch (e) {
          if (!(e instanceof Fatal)) throw e;
          this.fatal = { kind: e.kind, message: e.message };
          for (const l of this.live.values()) l.close(true);
          this.live.clear();
          result = this.result(rc, 'failed', [], e.message);
        }
      }
      if (this.lastOf.get(rc.call.conversation) === rc.index) {
        this.live.get(rc.call.conversation)?.close();
        this.live.delete(rc.call.conversation);
      }
      this.results.push(result);
      this.o.onResult?.(result);
      if (this.o.stopOnFirst && (result.outcome === 'differ' || result.outcome === 'failed')) this.stopped = true;
    }
    if (!this.fatal && this.activationFailed) this.fatal = { kind: 'access-denied', message: this.activationFailed };
    return { results: this.results, summary: this.summary(), fatal: this.fatal };
  }

  private stopped = false;

  private summary(): ReplaySummary {
    const count = (o: Outcome) => this.results.filter((r) => r.outcome === o).length;
    return {
      calls: this.results.length,
      conversations: new Set(this.results.map((r) => r.conversation)).size,
      matched: count('match'),
      differed: count('differ'),
      skipped: count('skipped'),
      failed: count('failed'),
      notReplayed: count('not-replayed'),
      differences: this.results.reduce((n, r) => n + r.differences.length, 0),
      ignored: this.results.reduce((n, r) => n + r.ignored, 0),
    };
  }

  private result(rc: RecordedCall, outcome: Outcome, differences: Difference[], reason?: string, ignored = 0): CallResult {
    const r: CallResult = { index: rc.index, conversation: rc.call.conversation, sequence: rc.sequence, call: callName(rc.call), outcome, differences, ignored };
    if (reason !== undefined) r.reason = reason;
    if (outcome === 'differ' && this.skippedChanges.length > 0) r.dependsOn = [...this.skippedChanges];
    return r;
  }

  private async one(rc: RecordedCall): Promise<CallResult> {
    const c = rc.call;
    const name = callName(c);
    const decl = c.interface ? interfaceByUuid(c.interface.uuid) : undefined;
    const m = decl?.opnums[c.opnum];
    if (c.opnum < 0) return this.result(rc, 'not-replayed', [], 'not replayed: the request is not in the capture');
    if (!c.interface || !decl || !m) return this.result(rc, 'not-replayed', [], `not replayed: ${c.requestError ?? 'the interface or method is none scmp declares'}`);
    if (c.requestArgs === undefined) return this.result(rc, 'not-replayed', [], `not replayed: the request was not decoded (${c.requestError ?? 'unknown reason'})`);
    if (STATE_CHANGING_METHODS.includes(name) && !this.o.allowChanges) {
      this.skippedChanges.push(`conn ${c.conversation} #${rc.sequence} ${c.method}`);
      return this.result(rc, 'skipped', [], 'changes the host: replayed only with --allow-changes');
    }

    const conn = await this.connection(rc);
    if (typeof conn === 'string') return this.result(rc, 'not-replayed', [], `not replayed: ${conn}`);

    const t = this.o.target;
    const [major, minor] = c.interface.version.split('.').map(Number) as [number, number];
    let answer: Answer;
    let why: string | undefined;
    try {
      why = await within(conn.context(c.contextId, { uuid: c.interface.uuid, major, minor }), t.timeoutMs, `binding ${c.interface.name} at ${conn.address}`, () => conn.close(true));
    } catch (e) {
      throw this.asFatal(e, conn.address, `binding ${c.interface.name}`);
    }
    if (why !== undefined) answer = { kind: 'refused', why };
    else {
      const args = this.map.substitute(c.requestArgs);
      const object = c.object === undefined ? undefined : this.map.live('ipid', c.object);
      let stub: Buffer;
      try {
        stub = ndrEncode(m.request, args as never);
      } catch (e) {
        return this.result(rc, 'failed', [], `the request could not be encoded again: ${(e as Error).message}`);
      }
      try {
        const r = await within(conn.rpc.requestRaw(c.contextId, c.opnum, stub, object !== undefined ? { object } : {}), t.timeoutMs, `${name} at ${conn.address}`, () => conn.close(true));
        const out = ndrDecode(m.response, r.stub, r.littleEndian, args as never);
        answer = { kind: 'response', value: expandInterfacePointers(m.name, out, 'out') };
      } catch (e) {
        if (e instanceof Fatal) throw e;
        if (e instanceof RpcFaultError) answer = { kind: 'fault', status: e.status >>> 0 };
        else answer = { kind: 'closed', why: (e as Error).message };
      }
    }
    const recorded = recordedAnswer(c);
    // With NTLM the credentials are checked at the first call: refused there, the logon failed.
    const wasFresh = conn.fresh;
    conn.fresh = false;
    if (wasFresh && this.authOf.get(c.conversation) && recorded.kind !== 'fault' && ((answer.kind === 'fault' && answer.status === FAULT.access_denied) || answer.kind === 'closed')) {
      if (answer.kind === 'fault' || /closed|reset|ECONNRESET/i.test(answer.kind === 'closed' ? answer.why : '')) {
        throw new Fatal('logon', `${conn.address} refused the credentials of ${t.domain ? `${t.domain}\\` : ''}${t.user} (${describe(answer)} at the first call)`);
      }
    }
    return this.judge(rc, recorded, answer);
  }

  private judge(rc: RecordedCall, recorded: Answer, answer: Answer): CallResult {
    const c = rc.call;
    const name = callName(c);
    let diffs: Difference[] = [];
    let bindings: Comparison['bindings'] = [];
    if (recorded.kind === 'none') return this.result(rc, 'failed', [], `not compared: the recording has no answer (${recorded.why}); live: ${describe(answer)}`);
    if (recorded.kind === 'response' && answer.kind === 'response') {
      const cmp = new Comparison(this.map, c.objectInterface ?? c.interface?.name).compare(recorded.value, answer.value);
      diffs = cmp.differences;
      bindings = cmp.bindings;
    } else if (recorded.kind === 'fault' && answer.kind === 'fault') {
      if (recorded.status !== answer.status) diffs = [{ path: '(fault)', recorded: showStatus(recorded.status), live: showStatus(answer.status) }];
    } else diffs = [{ path: '(outcome)', recorded: describe(recorded), live: describe(answer) }];

    this.learnExporters(bindings);
    if (c.method && ACTIVATIONS.has(c.method) && recorded.kind === 'response') {
      const hr = answer.kind === 'response' ? (answer.value as { hr?: number }).hr : undefined;
      if (answer.kind !== 'response' || (typeof hr === 'number' && hr >>> 31 === 1)) {
        const what = answer.kind === 'response' ? showStatus(hr!) : describe(answer);
        this.activationFailed = `the target refused the activation (${name}: ${what}); calls on the object exporter cannot be replayed${hr !== undefined && hr >>> 0 === E_ACCESSDENIED ? ' — is the account an administrator of the host?' : ''}`;
      } else this.activationFailed = undefined;
    }
    const kept = diffs.filter((d) => !this.ignore(d.path, name));
    const ignored = diffs.length - kept.length;
    return this.result(rc, kept.length === 0 ? 'match' : 'differ', kept, undefined, ignored);
  }

  /** Pairs the recorded exporter's port with the live exporter's addresses. */
  private learnExporters(pairs: Comparison['bindings']): void {
    for (const p of pairs) {
      const live = p.live.map(parseTcpBinding).filter((a) => a !== undefined);
      if (live.length === 0) continue;
      // Try each address as the host named it, then the target's own address at that port.
      const ports = [...new Set(live.map((a) => a.port))];
      const tries = [...live.map((a) => ({ host: a.host, port: a.port })), ...ports.map((port) => ({ host: this.o.target.host, port }))];
      this.latestExporter = tries;
      for (const r of p.recorded) {
        const a = parseTcpBinding(r);
        if (a) this.exporters.set(a.port, tries);
      }
    }
  }

  private async connection(rc: RecordedCall): Promise<LiveConnection | string> {
    const c = rc.call;
    const open = this.live.get(c.conversation);
    if (open) return open;
    const t = this.o.target;
    const recordedAuth = this.authOf.get(c.conversation);
    const auth = recordedAuth && { authType: t.authType ?? recordedAuth.authType, authLevel: t.authLevel ?? recordedAuth.authLevel };
    let tries: { host: string; port: number }[];
    if ((this.kindOf.get(c.conversation) ?? 'resolver') === 'resolver') tries = [{ host: t.host, port: t.port }];
    else {
      const port = Number(/:(\d+)$/.exec(c.server)?.[1]);
      const found = this.exporters.get(port) ?? this.latestExporter;
      if (!found) return this.activationFailed ?? 'no live object exporter is known for it (no activation or OXID resolution before it was replayed)';
      tries = found;
    }
    const failures: string[] = [];
    for (const a of tries) {
      try {
        const conn = await LiveConnection.open(a.host, a.port, auth, t, t.timeoutMs);
        this.live.set(c.conversation, conn);
        return conn;
      } catch (e) {
        failures.push(`${a.host}:${a.port}: ${(e as Error).message}`);
      }
    }
    throw new Fatal('connection', `cannot reach ${failures.join('; ')}`);
  }

  private asFatal(e: unknown, where: string, what: string): Fatal {
    if (e instanceof Fatal) return e;
    const t = this.o.target;
    const who = `${t.domain ? `${t.domain}\\` : ''}${t.user}`;
    if (isProtocolRefusal(e) || e instanceof InterfaceRefusedError) return new Fatal('connection', `${where} is not a DCOM host for this client: ${(e as Error).message}`);
    if (isAuthenticationFailure(e) || (e instanceof Error && /SPNEGO rejected|authentication did not complete|without the server/.test(e.message))) {
      return new Fatal('logon', `${where} refused the credentials of ${who} (${(e as Error).message})`);
    }
    if (isUnreachable(e)) return new Fatal('connection', `cannot reach ${where}: ${(e as Error).message}`);
    return new Fatal('connection', `${what} at ${where} failed: ${(e as Error).message}`);
  }
}
