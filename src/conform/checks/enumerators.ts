/**
 * Enumerator semantics, for each kind of enumeration the host hands out: IVssEnumObject
 * (3.1.2.x: shadow copies) and IVssEnumMgmtObject (3.1.3.x: volumes, storage volumes,
 * associations). Each rule is one check per kind.
 */
import { decodeObjref } from '../../dcom/objref.js';
import { E_INVALIDARG } from '../../status/codes.js';
import { expect, expectHr, NotApplicable, status, type Ctx, type EnumSource } from '../context.js';
import type { Session } from '../session.js';
import type { Check } from '../types.js';
import { answers, check, DIFF, ENUM_MGMT, ENUM_OBJ, MGMT, ref } from './define.js';

interface Kind {
  name: string;
  source: EnumSource;
  iface: string;
  /** The method that opens it (the pairing's fault is on it). */
  opener: [string, string];
  /** Its argument, found on the host; NotApplicable when the host has none with ≥ 2 items. */
  arg(c: Ctx): Promise<string | null>;
  section: (n: number) => string;
}

/** A volume whose enumeration of `source` has at least two items. */
async function withTwo(c: Ctx, source: EnumSource): Promise<string> {
  let one: string | undefined;
  for (const v of await c.volumes()) {
    const n = (await c.items(source, v.name)).length;
    if (n >= 2) return v.name;
    if (n === 1) one ??= v.name;
  }
  if (one !== undefined) return one;
  throw new NotApplicable(`no volume of the host has an item to enumerate (${source})`);
}

const KINDS: Kind[] = [
  { name: 'snapshots', source: 'snapshots', iface: ENUM_OBJ, opener: [MGMT, 'QuerySnapshotsByVolume'], arg: (c) => withTwo(c, 'snapshots'), section: (n) => `3.1.2.${n}` },
  { name: 'volumes', source: 'volumes', iface: ENUM_MGMT, opener: [MGMT, 'QueryVolumesSupportedForSnapshots'], arg: async () => '0', section: (n) => `3.1.3.${n}` },
  { name: 'diff-volumes', source: 'diff-volumes', iface: ENUM_MGMT, opener: [DIFF, 'QueryVolumesSupportedForDiffAreas'], arg: (c) => withTwo(c, 'diff-volumes'), section: (n) => `3.1.3.${n}` },
  {
    name: 'diff-areas',
    source: 'diff-areas-on',
    iface: ENUM_MGMT,
    opener: [DIFF, 'QueryDiffAreasOnVolume'],
    async arg(c) {
      const on = new Map<string, number>();
      for (const a of await c.diffAreas()) {
        const s = String(a.prop.Obj.value.m_pwszDiffAreaVolumeName);
        on.set(s, (on.get(s) ?? 0) + 1);
      }
      const best = [...on].sort((a, b) => b[1] - a[1])[0];
      if (!best) throw new NotApplicable('the host has no storage association');
      return best[0];
    },
    section: (n) => `3.1.3.${n}`,
  },
];

/** Opens a fresh enumerator of `k` on the shared session. */
async function fresh(c: Ctx, k: Kind, arg: string | null) {
  const s = await c.session();
  const o = await c.open(k.source, arg, s);
  expectHr(o.r.hr, 0, 'opening the enumerator');
  if (!o.ipid) throw new Error('no enumerator');
  const call = (name: string, args: Record<string, unknown> = {}) => s.call(o.decl, o.ipid!, name, args);
  return { s, call, ipid: o.ipid, decl: o.decl };
}

const idOf = (p: any): string => JSON.stringify(p.Obj.value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

type Rule = [id: string, requirement: (k: Kind) => string, section: number, probe: (c: Ctx, k: Kind, all: any[], e: Awaited<ReturnType<typeof fresh>>, s: Session) => Promise<void>, breakOn?: string, atLeast?: number];

const RULES: Rule[] = [
  ['next-zero', () => 'Next with celt 0 answers E_INVALIDARG', 1, async (_c, _k, _all, e) => expectHr((await e.call('Next', { celt: 0 })).hr, E_INVALIDARG), 'Next'],
  ['next-all', () => 'Next asking for more than remain answers S_FALSE with every item and pceltFetched their count', 1, async (_c, _k, all, e) => {
    const r = await e.call('Next', { celt: all.length + 5 });
    expectHr(r.hr, 1);
    expect(r.pceltFetched === all.length && r.rgelt.length === all.length, `${all.length} items`, `pceltFetched ${r.pceltFetched}, ${r.rgelt.length} items`);
  }, 'Next'],
  ['next-exact', () => 'Next asking for exactly the items there are answers S_OK with all of them', 1, async (_c, _k, all, e) => {
    const r = await e.call('Next', { celt: all.length });
    expectHr(r.hr, 0);
    expect(r.pceltFetched === all.length, `pceltFetched ${all.length}`, String(r.pceltFetched));
  }, 'Next'],
  ['next-one', () => 'Next(1) answers S_OK with one item while items remain', 1, async (_c, _k, _all, e) => {
    const r = await e.call('Next', { celt: 1 });
    expectHr(r.hr, 0);
    expect(r.pceltFetched === 1 && r.rgelt.length === 1, 'one item', `${r.pceltFetched}`);
  }, 'Next'],
  ['next-order', () => 'Next one at a time gives the items in the order one Next for all gives them', 1, async (_c, _k, all, e) => {
    for (let i = 0; i < all.length; i++) {
      const r = await e.call('Next', { celt: 1 });
      expect(r.rgelt[0] && idOf(r.rgelt[0]) === idOf(all[i]), `item ${i + 1} as listed at once`, 'another item');
    }
  }, 'Next', 2],
  ['next-at-end', () => 'Next at the end answers S_FALSE with pceltFetched 0', 1, async (_c, _k, all, e) => {
    await e.call('Next', { celt: all.length });
    const r = await e.call('Next', { celt: 1 });
    expectHr(r.hr, 1);
    expect(r.pceltFetched === 0, 'pceltFetched 0', String(r.pceltFetched));
  }, 'Next'],
  ['skip-zero', () => 'Skip with celt 0 answers E_INVALIDARG', 2, async (_c, _k, _all, e) => expectHr((await e.call('Skip', { celt: 0 })).hr, E_INVALIDARG), 'Skip'],
  ['skip-one', () => 'Skip(1) answers S_OK and the next item is the second', 2, async (_c, _k, all, e) => {
    expectHr((await e.call('Skip', { celt: 1 })).hr, 0);
    const r = await e.call('Next', { celt: 1 });
    expect(r.rgelt[0] && idOf(r.rgelt[0]) === idOf(all[1]), 'the second item', 'another');
  }, 'Skip', 2],
  ['skip-past-end', () => 'Skip past the end answers S_FALSE and leaves nothing to fetch', 2, async (_c, _k, all, e) => {
    expectHr((await e.call('Skip', { celt: all.length + 1 })).hr, 1);
    expect((await e.call('Next', { celt: 1 })).pceltFetched === 0, 'nothing after', 'an item');
  }, 'Skip'],
  ['skip-exact', () => 'Skip over exactly the items there are answers S_OK', 2, async (_c, _k, all, e) => expectHr((await e.call('Skip', { celt: all.length })).hr, 0), 'Skip'],
  ['reset', () => 'Reset answers S_OK and Next then starts again from the first item', 3, async (_c, _k, all, e) => {
    await e.call('Next', { celt: all.length + 1 });
    expectHr((await e.call('Reset')).hr, 0);
    const r = await e.call('Next', { celt: all.length });
    expect(r.pceltFetched === all.length && idOf(r.rgelt[0]) === idOf(all[0]), `all ${all.length} items again`, `${r.pceltFetched}`);
  }, 'Reset'],
  ['clone-iid', (k) => `Clone answers S_OK and a standard OBJREF for ${k.iface}`, 4, async (_c, k, _all, e) => {
    const r = await e.call('Clone', { ppenum: null });
    expectHr(r.hr, 0);
    const o = decodeObjref(r.ppenum.abData);
    expect(o.kind === 'standard' && o.iid === e.decl.uuid, `a standard OBJREF for ${k.iface}`, `${o.kind} ${o.iid}`);
  }, 'Clone'],
  ['clone-position', () => 'a Clone starts where its enumerator stands (after Skip(1): the second item)', 4, async (_c, _k, all, e) => {
    await e.call('Skip', { celt: 1 });
    const r = await e.call('Clone', { ppenum: null });
    expectHr(r.hr, 0);
    const h = e.s.held[e.s.held.length - 1]!;
    const n = await e.s.call(e.decl, h.ipid, 'Next', { celt: 1 });
    expect(n.rgelt[0] && idOf(n.rgelt[0]) === idOf(all[1]), 'the second item', n.rgelt[0] ? 'another item' : status(n.hr));
  }, 'Clone', 2],
  ['clone-independent', () => "reading a Clone to its end leaves its enumerator's position where it was", 4, async (_c, _k, all, e) => {
    const r = await e.call('Clone', { ppenum: null });
    expectHr(r.hr, 0);
    const h = e.s.held[e.s.held.length - 1]!;
    await e.s.call(e.decl, h.ipid, 'Next', { celt: all.length + 1 });
    const n = await e.call('Next', { celt: 1 });
    expect(n.rgelt[0] && idOf(n.rgelt[0]) === idOf(all[0]), 'the first item from the original', 'another item');
  }, 'Clone'],
];

export const ENUMERATOR_CHECKS: Check[] = KINDS.flatMap((k) =>
  RULES.map(([id, req, n, probe, method, atLeast = 1]) =>
    check(`enum.${k.name}.${id}`, `${k.iface} of ${k.name}: ${req(k)}`, ref('MS-SCMP', k.section(n)), answers(k.iface, method ?? 'Next'), async (c) => {
      const arg = await k.arg(c);
      const all = await c.items(k.source, arg);
      if (all.length < atLeast) throw new NotApplicable(`fewer than ${atLeast} ${k.name} to enumerate on any one volume`);
      const e = await fresh(c, k, arg);
      await probe(c, k, all, e, e.s);
    }),
  ),
);
