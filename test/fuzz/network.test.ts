/**
 * Fuzzing in CI (issue 18): every decoder that reads what a network peer sends, fed
 * mutated valid inputs and random octets from a fixed seed, a fixed number of inputs each.
 * None may throw anything but its layer's own decode error, and none may run away.
 * `npm run fuzz` runs the same targets longer (bench/fuzz/run.ts).
 */
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { badSeeds, fuzzTarget, makeInput } from '../../bench/fuzz/engine.js';
import { declaredMethods, IDL_MODULES, networkTargets, type FuzzTarget } from '../../bench/fuzz/targets.js';
import { NDR20_SYNTAX, PFC } from '../../src/dcerpc/constants.js';
import { encodeBind, encodeRequest } from '../../src/dcerpc/pdu/serializer.js';
import { epm } from '../../src/interfaces/epm/idl.js';
import { NdrError } from '../../src/ndr/index.js';

const SEED = 0x18f022;
const INPUTS = 12_000;
const targets = networkTargets();

describe('the targets cover every decoder of untrusted input', () => {
  test('every interface under src/interfaces has its IDL module fuzzed, and every declared method is a case of it', () => {
    const dir = fileURLToPath(new URL('../../src/interfaces/', import.meta.url));
    const withIdl = readdirSync(dir).filter((d) => existsSync(`${dir}${d}/idl.ts`));
    expect(Object.keys(IDL_MODULES).sort()).toEqual(withIdl.sort());
    for (const [name, mod] of Object.entries(IDL_MODULES)) {
      const t = targets.find((x) => x.name === `ndr:${name}`) as FuzzTarget & { cases: string[] };
      const methods = declaredMethods(mod).map((m) => m.id);
      expect(methods.length).toBeGreaterThan(0);
      expect(t.cases).toEqual(methods.flatMap((m) => [`${m} request`, `${m} response`]));
    }
  });

  test('the targets: PDUs, the association machine, NDR of each interface, activation blobs, OBJREFs, NTLM, SPNEGO', () => {
    expect(targets.map((t) => t.name)).toEqual([
      'pdu',
      'association',
      ...Object.keys(IDL_MODULES).map((n) => `ndr:${n}`),
      'activation-in',
      'activation-out',
      'objref',
      'ntlm',
      'spnego',
    ]);
  });

  test.each(targets.map((t) => [t.name, t] as const))('%s: every seed is a valid input', (_n, t) => {
    expect(t.seeds.length).toBeGreaterThan(0);
    expect(badSeeds(t)).toEqual([]);
  });

  test('every request and response has a valid stub to mutate but two, which no zero-filled value decodes to (a range from 1, a NUL-terminated string)', () => {
    const unseeded: string[] = [];
    for (const [name] of Object.entries(IDL_MODULES)) {
      const t = targets.find((x) => x.name === `ndr:${name}`) as FuzzTarget & { cases: string[] };
      const seeded = new Set(t.seedPicks!.map((p) => p >>> 2));
      t.cases.forEach((c, i) => seeded.has(i) || unseeded.push(c));
    }
    // These two still get random octets and the other methods' mutated stubs.
    expect(unseeded).toEqual(['mgmt.rpc__mgmt_inq_princ_name response', 'IActivation.RemoteActivation request']);
  });
});

describe('the harness can fail', () => {
  test('a decoder throwing a TypeError is reported with the input that did it, and the input is made again from its index', () => {
    const t: FuzzTarget = {
      name: 'broken',
      seeds: [Buffer.from('00000000', 'hex')],
      run: (b) => {
        if (b.length > 4) (undefined as unknown as Buffer).length;
        if (b.length === 0) throw new NdrError('empty');
      },
      expected: (e) => e instanceof NdrError,
    };
    const r = fuzzTarget(t, { seed: 1, budgetMs: 10_000, maxInputs: 500 });
    expect(r.inputs).toBe(500);
    expect(r.crashes.length).toBeGreaterThan(0);
    expect(r.crashes[0]!.error).toMatch(/^TypeError/);
    const again = makeInput(t, 1, r.crashes[0]!.index);
    expect(again.input.subarray(0, 512).toString('hex')).toBe(r.crashes[0]!.input);
  });

  test('the association target turns a line at level error into a finding: issue 18’s aliased ept_map is replayed and answered without one', () => {
    const assoc = targets.find((t) => t.name === 'association')!;
    const bind = encodeBind('bind', {
      callId: 1,
      maxXmitFrag: 5840,
      maxRecvFrag: 5840,
      assocGroupId: 0,
      contexts: [{ contextId: 0, abstractSyntax: { uuid: epm.uuid, major: epm.major, minor: epm.minor }, transferSyntaxes: [{ ...NDR20_SYNTAX }] }],
    });
    const stub = Buffer.alloc(48);
    stub.writeUInt32LE(0x20000, 0);
    stub.writeUInt32LE(0x20000, 20);
    stub.writeUInt32LE(4, 44);
    const input = Buffer.concat([bind, encodeRequest({ callId: 2, flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, allocHint: 48, contextId: 0, opnum: epm.methods.ept_map.opnum, stub })]);
    expect(() => assoc.run(input, 0)).not.toThrow();
  });
});

describe(`${INPUTS} inputs per target, seed 0x${SEED.toString(16)}`, () => {
  test.each(targets.map((t) => [t.name, t] as const))('%s: nothing but the layer’s own decode error, nothing runs away', (_n, t) => {
    // The budget is a guard against a runaway loop, not a speed figure: the count decides.
    const r = fuzzTarget(t, { seed: SEED, budgetMs: 60_000, maxInputs: INPUTS, slowMs: 5000 });
    expect(r.crashes).toEqual([]);
    expect(r.slow).toEqual([]);
    expect(r.inputs).toBe(INPUTS);
  });
});

describe('npm run fuzz', () => {
  test('runs the named targets in worker threads for the seconds given and prints inputs, crashes, hangs and peak memory as JSON', async () => {
    const { spawnSync } = await import('node:child_process');
    const run = fileURLToPath(new URL('../../dist/bench/fuzz/run.js', import.meta.url));
    const r = spawnSync(process.execPath, [run, '--seconds', '1', '--seed', '42', '--targets', 'pdu,spnego'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.seed).toBe(42);
    expect(out.targets.map((t: { target: string }) => t.target)).toEqual(['pdu', 'spnego']);
    expect(out.totals.inputs).toBeGreaterThan(0);
    expect(out.totals).toMatchObject({ crashes: 0, hangs: 0 });
    expect(out.totals.peakRssBytes).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/fuzz: pdu: \d+ inputs, 0 crashes, 0 hangs/);
  });
});
