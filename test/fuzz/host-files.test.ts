/**
 * Fuzzing in CI, the host side (issue 18): the host model file, the state directory's
 * state.json and admin request bodies, fed mutated valid inputs (octets, and edge values
 * put into the JSON) from a fixed seed, a fixed number of inputs each. None may throw
 * anything but its layer's own refusal, and none may run away. bench/fuzz/host-targets.ts.
 */
import { describe, expect, test } from 'vitest';
import { badSeeds, fuzzTarget } from '../../bench/fuzz/engine.js';
import { hostTargets } from '../../bench/fuzz/host-targets.js';

const SEED = 0x18f09;
const INPUTS: Record<string, number> = { 'host-model': 3000, 'state-file': 600, 'admin-bodies': 4000 };
const targets = hostTargets();

describe('host targets', () => {
  test('the targets: the host model file, the state file, admin bodies', () => {
    expect(targets.map((t) => t.name)).toEqual(['host-model', 'state-file', 'admin-bodies']);
  });

  test.each(targets.map((t) => [t.name, t] as const))('%s: every seed is a valid input', (_n, t) => {
    expect(badSeeds(t)).toEqual([]);
  });

  test('every admin seed runs with no request refused (the bodies are what the routes take)', () => {
    const t = targets.find((x) => x.name === 'admin-bodies') as (typeof targets)[number] & { lastRefusals: string[] };
    for (const s of t.seeds) {
      t.run(s, 0);
      expect(t.lastRefusals).toEqual([]);
    }
  });

  test('a state file edited to hold ../../x as a document name is refused by the target, as the issue found it loaded', () => {
    const t = targets.find((x) => x.name === 'state-file')!;
    const root = JSON.parse(t.seeds[0]!.toString('utf8'));
    root.documents['../../x'] = root.documents['backup-1'];
    expect(() => t.run(Buffer.from(JSON.stringify(root)), 0)).toThrow(/documents\["\.\.\/\.\.\/x"\]: not a document name/);
  });
});

describe(`inputs per target, seed 0x${SEED.toString(16)}`, () => {
  test.each(targets.map((t) => [t.name, t] as const))('%s: nothing but the layer’s own refusal, nothing runs away', (name, t) => {
    const r = fuzzTarget(t, { seed: SEED, budgetMs: 60_000, maxInputs: INPUTS[name], slowMs: 5000 });
    expect(r.crashes).toEqual([]);
    expect(r.slow).toEqual([]);
    expect(r.inputs).toBe(INPUTS[name]);
  });
});
