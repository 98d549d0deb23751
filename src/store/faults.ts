/**
 * Scripted faults (issue 16): rules that make the host answer a matching call with an
 * HRESULT, a DCE/RPC fault, a delay, a dropped connection or no answer at all, so a client
 * developer can test their error handling. The engine matches on plain strings (interface
 * and method names as the IDL spells them, and the call's decoded arguments), so the RPC
 * runtime can consult it without importing anything above it; src/app.ts hands
 * `interceptor()` to the runtime. A rule only changes the answer: the runtime does not run
 * the method for hresult, fault, drop and hang, and runs it after the wait for delay.
 */
import { statusTable } from '../status/index.js';
import { FieldError, FieldProblems, fieldName, integer, object, oneOf, string, unknownKeys, type Json } from './json-fields.js';
import { nameKey } from './names.js';

export interface FaultSettings {
  /** Rules held at once; one more is refused. */
  maxRules: number;
  /** The longest delay a rule may ask for. */
  maxDelayMs: number;
  /** Arguments one rule may match on. */
  maxArgs: number;
}

export const DEFAULT_FAULT_SETTINGS: Readonly<FaultSettings> = { maxRules: 256, maxDelayMs: 300_000, maxArgs: 8 };

export const FAULT_ACTIONS = ['hresult', 'fault', 'delay', 'drop', 'hang'] as const;
export type FaultActionKind = (typeof FAULT_ACTIONS)[number];

/**
 * A rule as written: in the host model's `faults`, the admin API's body, ScmpOptions.faults.
 * It names the call by `method`, or by `opnum`: an opnum rule fires in the RPC runtime
 * before the method is looked up and its stub decoded, so it also reaches opnums the
 * interface lacks and stubs that do not decode (it can script a server that answers those
 * wrongly); it matches no arguments and cannot answer an HRESULT (no method, no answer).
 */
export interface FaultRuleSpec {
  interface: string;
  /** The method's IDL name; exactly one of method and opnum. */
  method?: string;
  /** The call's opnum (0 to 65535), whether or not the interface has it. */
  opnum?: number;
  /** Arguments that must match: a volume name as volume names compare, any other string case-insensitively, numbers exactly. */
  args?: Record<string, string | number>;
  action: FaultActionKind;
  /** hresult and fault: the status, by name (VSS_E_PROVIDER_VETO) or number. */
  status?: number;
  /** delay: milliseconds before the real answer. */
  ms?: number;
  /** Fire on the next N matching calls only, then the rule is spent (kept, listed as such). */
  count?: number;
  /** Fire on a matching call with this probability (0 to 1), drawn from a PRNG seeded with `seed`. */
  probability?: number;
  seed?: number;
}

export interface FaultRule extends FaultRuleSpec {
  readonly id: number;
  /** Times it fired. */
  fired: number;
}

/** What a rule makes of a call: the shape the RPC runtime's CallInterceptor answers. */
export type FaultVerdict = { hresult: number } | { fault: number } | { delayMs: number } | { drop: true } | { hang: true };

/** The logger the engine reports fired faults to (src/log.ts's Logger has this shape). */
interface FaultLog {
  info(msg: string, fields?: Record<string, unknown>): void;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A status given by name or as a number (decimal or 0x hex), as a 32-bit unsigned value. */
function statusOf(v: Json, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= -0x80000000 && v <= 0xffffffff) return v >>> 0;
  if (typeof v === 'string') {
    if (/^0x[0-9a-f]{1,8}$/i.test(v)) return Number(v) >>> 0;
    for (const [n, name] of statusTable()) if (name.toLowerCase() === v.toLowerCase()) return n >>> 0;
  }
  throw new FieldError(field, v === undefined ? 'is required (a status name such as VSS_E_PROVIDER_VETO, or a number)' : `expected a status name or a 32-bit number, not ${JSON.stringify(v)}`);
}

/**
 * Reads one rule field by field; every problem is recorded in `p` under `at` (`faults[0].status`).
 * undefined when a problem was found.
 */
export function parseFaultRule(p: FieldProblems, v: Json, at: string, settings: FaultSettings = DEFAULT_FAULT_SETTINGS): FaultRuleSpec | undefined {
  const before = p.list.length;
  const o = p.take<Record<string, Json> | undefined>(() => object(v, at || '(body)'), undefined);
  if (!o) return undefined;
  const f = (k: string) => fieldName(at, k);
  for (const u of unknownKeys(o, at, ['interface', 'method', 'opnum', 'args', 'action', 'status', 'ms', 'count', 'probability', 'seed'])) p.add(u.field, u.message);
  const ident = { form: { re: IDENT, what: 'an IDL name such as IVssSnapshotMgmt or QuerySnapshotsByVolume' } };
  const iface = p.take(() => string(o.interface, f('interface'), ident), '');
  const action = p.take(() => oneOf(o.action, f('action'), FAULT_ACTIONS), 'hang');
  const spec: FaultRuleSpec = { interface: iface, action };
  if (o.opnum !== undefined) {
    if (o.method !== undefined) p.add(f('method'), 'not with opnum: a rule names its call one way');
    spec.opnum = p.take(() => integer(o.opnum, f('opnum'), 0), 0);
    if (spec.opnum > 0xffff) p.add(f('opnum'), 'expected an opnum from 0 to 65535');
    if (o.args !== undefined) p.add(f('args'), 'only with method: an opnum rule fires before the arguments are decoded');
    if (action === 'hresult') p.add(f('action'), 'hresult needs a method (its answer carries the return value); use action fault');
  } else {
    spec.method = p.take(() => string(o.method, f('method'), ident), '');
  }
  if (o.args !== undefined && spec.opnum === undefined) {
    const a = p.take<Record<string, Json> | undefined>(() => object(o.args, f('args')), undefined);
    if (a) {
      if (Object.keys(a).length > settings.maxArgs) p.add(f('args'), `more than ${settings.maxArgs} arguments`);
      const args: Record<string, string | number> = {};
      for (const [k, x] of Object.entries(a)) {
        if (!IDENT.test(k)) p.add(fieldName(f('args'), k), 'not an argument name');
        else if (typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x))) args[k] = x;
        else p.add(fieldName(f('args'), k), 'expected a string or a number');
      }
      spec.args = args;
    }
  }
  const needs = (k: 'status' | 'ms', wanted: boolean) => {
    if (!wanted && o[k] !== undefined) p.add(f(k), `not used by action ${action}`);
  };
  needs('status', action === 'hresult' || action === 'fault');
  needs('ms', action === 'delay');
  if (action === 'hresult' || action === 'fault') spec.status = p.take(() => statusOf(o.status, f('status')), 0);
  if (action === 'delay') {
    spec.ms = p.take(() => integer(o.ms, f('ms'), 0), 0);
    if (spec.ms > settings.maxDelayMs) p.add(f('ms'), `longer than the longest delay, ${settings.maxDelayMs} ms (setting maxDelayMs)`);
  }
  if (o.count !== undefined) spec.count = p.take(() => integer(o.count, f('count'), 1), 1);
  if (o.probability !== undefined) {
    const pr = o.probability;
    if (typeof pr !== 'number' || !(pr >= 0 && pr <= 1)) p.add(f('probability'), 'expected a number from 0 to 1');
    else spec.probability = pr;
    spec.seed = o.seed === undefined ? 1 : p.take(() => integer(o.seed, f('seed'), 0), 0);
    if (spec.seed > 0xffffffff) p.add(f('seed'), 'expected a 32-bit unsigned integer');
  } else if (o.seed !== undefined) p.add(f('seed'), 'only with probability');
  return p.list.length === before ? spec : undefined;
}

/** Reads one rule, throwing a FieldError naming every bad field. */
export function faultRuleFromJson(v: Json, settings: FaultSettings = DEFAULT_FAULT_SETTINGS, at = ''): FaultRuleSpec {
  const p = new FieldProblems();
  const spec = parseFaultRule(p, v, at, settings);
  if (!spec || p.list.length) throw new FieldError(p.list[0]!.field, p.list[0]!.message, p.list.slice(1));
  return spec;
}

/** A rule as JSON (the admin API's view, the host model file's form). */
export function faultRuleToJson(r: FaultRuleSpec): Record<string, Json> {
  const out: Record<string, Json> = r.opnum !== undefined ? { interface: r.interface, opnum: r.opnum } : { interface: r.interface, method: r.method ?? '' };
  if (r.args) out.args = { ...r.args };
  out.action = r.action;
  if (r.status !== undefined) out.status = statusTable().get(r.status) ?? `0x${r.status.toString(16).padStart(8, '0')}`;
  if (r.ms !== undefined) out.ms = r.ms;
  if (r.count !== undefined) out.count = r.count;
  if (r.probability !== undefined) out.probability = r.probability;
  if (r.seed !== undefined) out.seed = r.seed;
  return out;
}

/** mulberry32: a small deterministic PRNG, so a seeded rule fires on the same calls every run (the fuzzer's too). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Held {
  rule: FaultRule;
  draw: (() => number) | undefined;
}

export class FaultRules {
  private readonly held: Held[] = [];
  private nextId = 1;

  /**
   * `volumeOf` resolves a volume name in any accepted form to the volume's mount name
   * (the store's resolution), so `C:` in a rule matches `c:\` in a call.
   */
  constructor(
    private readonly volumeOf: (name: string) => string | undefined = () => undefined,
    readonly settings: Readonly<FaultSettings> = DEFAULT_FAULT_SETTINGS,
  ) {}

  /** Adds a rule (checked again here, so every way in holds the limits); throws FieldError. */
  add(spec: FaultRuleSpec): FaultRule {
    const checked = faultRuleFromJson(faultRuleToJson(spec), this.settings);
    if (this.held.length >= this.settings.maxRules) throw new FieldError('(rules)', `already ${this.settings.maxRules} rules (setting maxRules)`);
    const rule: FaultRule = { id: this.nextId++, ...checked, fired: 0 };
    this.held.push({ rule, draw: rule.probability !== undefined ? prng(rule.seed ?? 1) : undefined });
    return rule;
  }

  list(): FaultRule[] {
    return this.held.map((h) => ({ ...h.rule, ...(h.rule.args ? { args: { ...h.rule.args } } : {}) }));
  }

  remove(id: number): boolean {
    const i = this.held.findIndex((h) => h.rule.id === id);
    if (i < 0) return false;
    this.held.splice(i, 1);
    return true;
  }

  /** Removes every rule; how many there were. */
  clear(): number {
    return this.held.splice(0).length;
  }

  /**
   * The first rule that matches the call and fires now, and what it makes of the call.
   * A spent rule (count reached) is skipped; a probability rule draws once per matching call.
   */
  match(iface: string, method: string, args: Readonly<Record<string, unknown>>): { rule: FaultRule; verdict: FaultVerdict } | undefined {
    return this.first(iface, (r) => r.method !== undefined && r.method.toLowerCase() === method.toLowerCase() && (!r.args || Object.entries(r.args).every(([k, want]) => this.argMatches(k, want, args))));
  }

  /** As `match`, for the rules that name the call by opnum (consulted before the method is looked up). */
  matchOpnum(iface: string, opnum: number): { rule: FaultRule; verdict: FaultVerdict } | undefined {
    return this.first(iface, (r) => r.opnum === opnum);
  }

  private first(iface: string, matches: (r: FaultRule) => boolean): { rule: FaultRule; verdict: FaultVerdict } | undefined {
    for (const h of this.held) {
      const r = h.rule;
      if (r.interface.toLowerCase() !== iface.toLowerCase() || !matches(r)) continue;
      if (r.count !== undefined && r.fired >= r.count) continue;
      if (h.draw && !(h.draw() < r.probability!)) continue;
      r.fired++;
      return { rule: { ...r }, verdict: verdictOf(r) };
    }
    return undefined;
  }

  /**
   * The runtime's CallInterceptor (src/dcerpc/registry.ts): the opnum rules before the
   * runtime looks the opnum up, the method rules before the method runs; every fault that
   * fires is logged.
   */
  interceptor(log: FaultLog): {
    beforeOpnum(iface: string, opnum: number): Exclude<FaultVerdict, { hresult: number }> | undefined;
    beforeMethod(iface: string, method: string, args: Readonly<Record<string, unknown>>): FaultVerdict | undefined;
  } {
    return {
      beforeOpnum: (iface, opnum) => {
        const hit = this.matchOpnum(iface, opnum);
        // An opnum rule never answers an HRESULT: parseFaultRule refuses it, on every way in.
        if (!hit || 'hresult' in hit.verdict) return undefined;
        log.info('scripted fault fired', { rule: hit.rule.id, interface: iface, opnum, action: hit.rule.action, ...actionFields(hit.rule) });
        return hit.verdict;
      },
      beforeMethod: (iface, method, args) => {
        const hit = this.match(iface, method, args);
        if (hit) log.info('scripted fault fired', { rule: hit.rule.id, interface: iface, method, action: hit.rule.action, ...actionFields(hit.rule) });
        return hit?.verdict;
      },
    };
  }

  private argMatches(name: string, want: string | number, args: Readonly<Record<string, unknown>>): boolean {
    const key = Object.keys(args).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key === undefined) return false;
    const got = args[key];
    if (typeof want === 'number') return (typeof got === 'number' || typeof got === 'bigint') && BigInt(want) === BigInt(got);
    if (typeof got !== 'string') return false;
    if (/volume/i.test(name)) {
      // As the store compares volume names: any accepted form of the same volume.
      const a = this.volumeOf(want);
      const b = this.volumeOf(got);
      if (a !== undefined || b !== undefined) return a === b;
      return nameKey(want) === nameKey(got);
    }
    return want.toLowerCase() === got.toLowerCase();
  }
}

function actionFields(r: FaultRuleSpec): Record<string, unknown> {
  if (r.status !== undefined) return { status: statusTable().get(r.status) ?? `0x${r.status.toString(16)}` };
  if (r.ms !== undefined) return { ms: r.ms };
  return {};
}

function verdictOf(r: FaultRuleSpec): FaultVerdict {
  switch (r.action) {
    case 'hresult':
      return { hresult: r.status! };
    case 'fault':
      return { fault: r.status! };
    case 'delay':
      return { delayMs: r.ms! };
    case 'drop':
      return { drop: true };
    case 'hang':
      return { hang: true };
  }
}
