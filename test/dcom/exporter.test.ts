import { describe, expect, test } from 'vitest';
import { DCOM_E, ObjectExporter, type ComObject } from '../../src/dcom/exporter.js';

const IID_A = '11111111-0000-0000-0000-000000000001';
const IID_B = '11111111-0000-0000-0000-000000000002';

function setup(over = {}) {
  let t = 0;
  const ex = new ObjectExporter({ pingPeriodMs: 1000, missedPings: 3, maxObjectsPerClient: 3, maxPingSetsPerClient: 2, maxInterfacesPerObject: 4, ...over }, () => t);
  const released: string[] = [];
  const obj = (name: string): ComObject => ({ clsid: name, supports: (iid) => iid === IID_A, released: () => released.push(name) });
  return { ex, obj, released, advance: (ms: number) => (t += ms) };
}

describe('object exporter', () => {
  test('marshal hands out one IPID per interface and counts public references', () => {
    const { ex, obj } = setup();
    const { oid } = ex.exportObject(obj('a'), 'c1')!;
    const s1 = ex.marshal(oid, IID_A, 5)!;
    const s2 = ex.marshal(oid, IID_A, 2)!;
    expect(s1.ipid).toBe(s2.ipid);
    expect(s1).toMatchObject({ flags: 0, cPublicRefs: 5, oxid: ex.oxid, oid });
    expect(ex.lookup(s1.ipid)!.entry.publicRefs).toBe(7);
    expect(ex.marshal(oid, IID_B, 1)!.ipid).not.toBe(s1.ipid);
  });

  test('releasing every reference reclaims the IPID, then the object', () => {
    const { ex, obj, released } = setup();
    const { oid } = ex.exportObject(obj('a'), 'c1')!;
    const a = ex.marshal(oid, IID_A, 2)!;
    const b = ex.marshal(oid, IID_B, 1)!;
    expect(ex.addRef(a.ipid, 1, 1)).toBe(true);
    ex.release(a.ipid, 3, 1);
    expect(ex.lookup(a.ipid)).toBeUndefined();
    expect(ex.lookup(b.ipid)).toBeDefined();
    ex.release(b.ipid, 5, 0);
    expect(released).toEqual(['a']);
    expect(ex.objectCount).toBe(0);
    expect(ex.addRef(b.ipid, 1, 0)).toBe(false);
  });

  test('an object nobody pings is reclaimed after period × missed pings; a pinged one survives', () => {
    const { ex, obj, released, advance } = setup();
    const pinged = ex.exportObject(obj('pinged'), 'c1')!.oid;
    const lonely = ex.exportObject(obj('lonely'), 'c1')!.oid;
    ex.marshal(pinged, IID_A, 1);
    ex.marshal(lonely, IID_A, 1);
    const r = ex.complexPing('c1', 0n, 1, [pinged], []);
    expect('setId' in r).toBe(true);
    const setId = (r as { setId: bigint }).setId;
    for (let i = 0; i < 8; i++) {
      advance(900);
      expect(ex.simplePing(setId)).toBe(0);
      ex.collect();
    }
    expect(released).toEqual(['lonely']);
    advance(3001);
    ex.collect();
    expect(released).toEqual(['lonely', 'pinged']);
    expect(ex.simplePing(setId)).toBe(DCOM_E.OR_INVALID_SET);
  });

  test('ComplexPing: unknown set and OID statuses, stale sequence numbers ignored, removal', () => {
    const { ex, obj } = setup();
    const oid = ex.exportObject(obj('a'), 'c1')!.oid;
    expect(ex.complexPing('c1', 42n, 1, [], [])).toEqual({ status: DCOM_E.OR_INVALID_SET });
    expect(ex.complexPing('c1', 0n, 1, [7n], [])).toEqual({ status: DCOM_E.OR_INVALID_OID });
    const { setId } = ex.complexPing('c1', 0n, 5, [oid], []) as { setId: bigint };
    expect(ex.complexPing('c1', setId, 3, [], [oid])).toEqual({ setId });
    expect(ex.complexPing('c1', setId, 6, [], [oid])).toEqual({ setId });
  });

  test('per-client limits on objects and ping sets', () => {
    const { ex, obj } = setup();
    for (let i = 0; i < 3; i++) expect(ex.exportObject(obj(`o${i}`), 'greedy')).toBeDefined();
    expect(ex.exportObject(obj('one too many'), 'greedy')).toBeUndefined();
    expect(ex.exportObject(obj('someone else'), 'modest')).toBeDefined();
    expect('setId' in ex.complexPing('greedy', 0n, 1, [], [])).toBe(true);
    expect('setId' in ex.complexPing('greedy', 0n, 1, [], [])).toBe(true);
    expect(ex.complexPing('greedy', 0n, 1, [], [])).toEqual({ status: DCOM_E.E_OUTOFMEMORY });
  });
});
