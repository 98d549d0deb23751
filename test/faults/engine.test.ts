/**
 * The scripted-fault engine (src/store/faults.ts): rules read field by field, matched on
 * interface, method and arguments (volume names as the store compares them), limited by
 * count or drawn with a seeded probability.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_FAULT_SETTINGS, faultRuleFromJson, faultRuleToJson, FaultRules } from '../../src/store/faults.js';
import { FieldError } from '../../src/store/json-fields.js';
import { VSS_E_PROVIDER_VETO, nca_s_fault_unspec } from '../../src/status/index.js';

const C = '\\\\?\\Volume{11111111-1111-1111-1111-111111111111}\\';
const D = '\\\\?\\Volume{22222222-2222-2222-2222-222222222222}\\';
/** A store's resolution in miniature: C: and c:\ are C, D: is D. */
const volumes: Record<string, string> = { 'c:': C, 'c:\\': C, [C.toLowerCase()]: C, 'd:': D, 'd:\\': D, [D.toLowerCase()]: D };
const resolve = (n: string) => volumes[n.toLowerCase()];

const veto = { interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', action: 'hresult', status: 'VSS_E_PROVIDER_VETO' };

describe('reading a rule', () => {
  test('status by name or number, answered by name', () => {
    const r = faultRuleFromJson(veto);
    expect(r.status).toBe(VSS_E_PROVIDER_VETO);
    expect(faultRuleFromJson({ ...veto, status: '0x80042306' }).status).toBe(VSS_E_PROVIDER_VETO);
    expect(faultRuleFromJson({ ...veto, status: 0x80042306 }).status).toBe(VSS_E_PROVIDER_VETO);
    expect(faultRuleToJson(r)).toEqual(veto);
  });

  test('every bad field is named', () => {
    let e: unknown;
    try {
      faultRuleFromJson({ interface: 'I Vss', method: 'Q', action: 'explode', status: 'NO_SUCH', colour: 1, probability: 2 });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(FieldError);
    const fields = (e as FieldError).problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['colour', 'interface', 'action', 'probability']));
    expect(() => faultRuleFromJson({ ...veto, status: 'NO_SUCH_STATUS' })).toThrow(/^status: expected a status name/);
    expect(() => faultRuleFromJson({ interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', action: 'delay' })).toThrow(/^ms: /);
    expect(() => faultRuleFromJson({ interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', action: 'delay', ms: DEFAULT_FAULT_SETTINGS.maxDelayMs + 1 })).toThrow(/maxDelayMs/);
    expect(() => faultRuleFromJson({ ...veto, ms: 5 })).toThrow(/^ms: not used by action hresult/);
    expect(() => faultRuleFromJson({ ...veto, count: 0 })).toThrow(/^count: /);
    expect(() => faultRuleFromJson({ ...veto, seed: 3 })).toThrow(/^seed: only with probability/);
    expect(() => faultRuleFromJson({ ...veto, args: { pwszVolumeName: true } })).toThrow(/^args\.pwszVolumeName: /);
  });

  test('the number of rules is limited (maxRules)', () => {
    const rules = new FaultRules(resolve, { ...DEFAULT_FAULT_SETTINGS, maxRules: 2 });
    rules.add(faultRuleFromJson(veto));
    rules.add(faultRuleFromJson(veto));
    expect(() => rules.add(faultRuleFromJson(veto))).toThrow(/maxRules/);
  });
});

describe('matching', () => {
  test('on interface and method, case-insensitively, first rule first', () => {
    const rules = new FaultRules(resolve);
    rules.add(faultRuleFromJson(veto));
    rules.add(faultRuleFromJson({ ...veto, action: 'fault', status: 'nca_s_fault_unspec' }));
    expect(rules.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', {})?.verdict).toEqual({ hresult: VSS_E_PROVIDER_VETO });
    expect(rules.match('ivsssnapshotmgmt', 'querysnapshotsbyvolume', {})?.rule.id).toBe(1);
    expect(rules.match('IVssSnapshotMgmt', 'QueryVolumesSupportedForSnapshots', {})).toBeUndefined();
    expect(rules.match('IVssEnumObject', 'QuerySnapshotsByVolume', {})).toBeUndefined();
    rules.remove(1);
    expect(rules.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', {})?.verdict).toEqual({ fault: nca_s_fault_unspec });
    expect(rules.clear()).toBe(1);
    expect(rules.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', {})).toBeUndefined();
  });

  test('a volume argument in any form of the same volume', () => {
    const rules = new FaultRules(resolve);
    rules.add(faultRuleFromJson({ ...veto, args: { pwszVolumeName: 'C:' } }));
    for (const form of ['C:\\', 'c:', C, C.toUpperCase()]) expect(rules.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', { pwszVolumeName: form }), form).toBeDefined();
    expect(rules.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', { pwszVolumeName: 'D:\\' })).toBeUndefined();
    expect(rules.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', { pwszVolumeName: 'X:\\' })).toBeUndefined();
    expect(rules.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', {})).toBeUndefined();
  });

  test('other arguments: strings case-insensitively, numbers exactly', () => {
    const rules = new FaultRules(resolve);
    rules.add(faultRuleFromJson({ interface: 'IVssEnumObject', method: 'Next', action: 'hang', args: { celt: 2 } }));
    rules.add(faultRuleFromJson({ interface: 'IVssSnapshotMgmt', method: 'GetProviderMgmtInterface', action: 'drop', args: { ProviderId: 'B5946137-7B9F-4925-AF80-51ABD60B20D5' } }));
    expect(rules.match('IVssEnumObject', 'Next', { celt: 2 })?.verdict).toEqual({ hang: true });
    expect(rules.match('IVssEnumObject', 'Next', { celt: 3 })).toBeUndefined();
    expect(rules.match('IVssSnapshotMgmt', 'GetProviderMgmtInterface', { ProviderId: 'b5946137-7b9f-4925-af80-51abd60b20d5' })?.verdict).toEqual({ drop: true });
  });

  test('count: the next N matching calls, then the rule is spent', () => {
    const rules = new FaultRules(resolve);
    rules.add(faultRuleFromJson({ ...veto, count: 2, args: { pwszVolumeName: 'C:' } }));
    expect(rules.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', { pwszVolumeName: 'D:' })).toBeUndefined();
    expect(rules.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', { pwszVolumeName: 'C:' })).toBeDefined();
    expect(rules.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', { pwszVolumeName: 'C:' })).toBeDefined();
    expect(rules.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', { pwszVolumeName: 'C:' })).toBeUndefined();
    expect(rules.list()[0]!.fired).toBe(2);
  });

  test('probability with a seed: the same calls fire every run, about that share of them', () => {
    const pattern = (seed: number) => {
      const rules = new FaultRules(resolve);
      rules.add(faultRuleFromJson({ ...veto, probability: 0.25, seed }));
      return Array.from({ length: 400 }, () => (rules.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', {}) ? 1 : 0)).join('');
    };
    expect(pattern(7)).toBe(pattern(7));
    expect(pattern(7)).not.toBe(pattern(8));
    const fired = [...pattern(7)].filter((c) => c === '1').length;
    expect(fired).toBeGreaterThan(60);
    expect(fired).toBeLessThan(140);
    const never = new FaultRules(resolve);
    never.add(faultRuleFromJson({ ...veto, probability: 0 }));
    expect(never.match('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', {})).toBeUndefined();
  });

  test('the interceptor logs each fault that fires, with the rule id, interface, method and action', () => {
    const lines: Array<[string, Record<string, unknown> | undefined]> = [];
    const rules = new FaultRules(resolve);
    rules.add(faultRuleFromJson({ ...veto, count: 1 }));
    const intercept = rules.interceptor({ info: (m, f) => lines.push([m, f]) });
    expect(intercept.beforeMethod('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', {})).toEqual({ hresult: VSS_E_PROVIDER_VETO });
    expect(intercept.beforeMethod('IVssSnapshotMgmt', 'QuerySnapshotsByVolume', {})).toBeUndefined();
    expect(lines).toEqual([['scripted fault fired', { rule: 1, interface: 'IVssSnapshotMgmt', method: 'QuerySnapshotsByVolume', action: 'hresult', status: 'VSS_E_PROVIDER_VETO' }]]);
  });
});

describe('rules by opnum', () => {
  const byOpnum = { interface: 'IObjectExporter', opnum: 99, action: 'fault', status: 'nca_s_unk_if' };

  test('read and written with opnum in place of method', () => {
    const r = faultRuleFromJson(byOpnum);
    expect([r.opnum, r.method]).toEqual([99, undefined]);
    expect(faultRuleToJson(r)).toEqual(byOpnum);
  });

  test('one way of naming the call; no arguments, no HRESULT, an opnum of 16 bits', () => {
    expect(() => faultRuleFromJson({ ...byOpnum, method: 'ServerAlive2' })).toThrow(/^method: not with opnum/);
    expect(() => faultRuleFromJson({ ...byOpnum, args: { x: 1 } })).toThrow(/^args: only with method/);
    expect(() => faultRuleFromJson({ ...byOpnum, action: 'hresult', status: 'E_FAIL' })).toThrow(/^action: hresult needs a method/);
    expect(() => faultRuleFromJson({ ...byOpnum, opnum: 65536 })).toThrow(/^opnum: /);
    expect(() => faultRuleFromJson({ ...byOpnum, opnum: -1 })).toThrow(/^opnum: /);
    expect(faultRuleFromJson({ ...byOpnum, opnum: 65535 }).opnum).toBe(65535);
  });

  test('matched by interface and opnum only, never by method name; method rules never by opnum', () => {
    const rules = new FaultRules(resolve);
    rules.add(faultRuleFromJson({ ...byOpnum, count: 1 }));
    rules.add(faultRuleFromJson({ interface: 'IObjectExporter', method: 'ServerAlive2', action: 'drop' }));
    expect(rules.match('IObjectExporter', 'ServerAlive2', {})?.verdict).toEqual({ drop: true });
    expect(rules.matchOpnum('IObjectExporter', 5)).toBeUndefined(); // ServerAlive2's opnum: the method rule is not an opnum rule
    expect(rules.matchOpnum('iobjectexporter', 98)).toBeUndefined();
    expect(rules.matchOpnum('iobjectexporter', 99)?.verdict).toEqual({ fault: 0x1c010003 });
    expect(rules.matchOpnum('IObjectExporter', 99)).toBeUndefined(); // count 1: spent
  });

  test("the runtime's opnum interceptor logs what fired, and with no opnum rule answers nothing", () => {
    const rules = new FaultRules(resolve);
    const logged: Array<Record<string, unknown>> = [];
    const intercept = rules.interceptor({ info: (_m, f) => logged.push(f ?? {}) });
    expect(intercept.beforeOpnum('IObjectExporter', 99)).toBeUndefined();
    rules.add(faultRuleFromJson({ interface: 'IObjectExporter', opnum: 99, action: 'drop' }));
    expect(intercept.beforeOpnum('IObjectExporter', 99)).toEqual({ drop: true });
    expect(logged).toEqual([{ rule: 1, interface: 'IObjectExporter', opnum: 99, action: 'drop' }]);
  });
});
