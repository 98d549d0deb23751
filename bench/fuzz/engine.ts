/**
 * The fuzzing loop shared by the CI test and `npm run fuzz`: inputs derived from (seed,
 * index) alone, so any input a run reports can be made again from its two numbers, and a
 * run stops at a time or input budget.
 */
import { prng } from '../../src/store/faults.js';
import type { FuzzTarget } from './targets.js';

/** mulberry32, the scripted faults' seedable generator: the quality a fuzzer needs, no more. */
export { prng };

/** Values that sit on the edges of the length and count fields decoders trust. */
const INTERESTING_U32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** The input number `index` of a run seeded `seed`: a mutated seed, or random octets. */
export function makeInput(target: FuzzTarget, seed: number, index: number): { input: Buffer; pick: number } {
  const r = prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const int = (n: number) => Math.floor(r() * n);
  const pick = int(0x10000);
  if (target.seeds.length === 0 || r() < 0.1) {
    const b = Buffer.alloc(int(r() < 0.9 ? 256 : 8192));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    return { input: b, pick };
  }
  const s = int(target.seeds.length);
  // Mostly decoded as what the seed is (its method, its message type), sometimes as another.
  const seedPick = target.seedPicks?.[s];
  const picked = seedPick !== undefined && r() < 0.75 ? (seedPick | (r() < 0.2 ? int(4) : 0)) : pick;
  let b = Buffer.from(target.seeds[s]!);
  const rounds = 1 + int(r() < 0.7 ? 3 : 16);
  for (let k = 0; k < rounds; k++) {
    const at = b.length ? int(b.length) : 0;
    switch (int(9)) {
      case 8: // copy an aligned word over another (a referent id, a count, reused)
        if (b.length >= 8) {
          const from = int(b.length >> 2) << 2;
          const to = int(b.length >> 2) << 2;
          if (from + 4 <= b.length && to + 4 <= b.length) b.copy(b, to, from, from + 4);
        }
        break;
      case 0: // flip a bit
        if (b.length) b[at] = b[at]! ^ (1 << int(8));
        break;
      case 1: // set an octet
        if (b.length) b[at] = [0, 0xff, 0x7f, 0x80, int(256)][int(5)]!;
        break;
      case 2: // set a 32-bit field, either byte order
        if (b.length >= 4) {
          const v = INTERESTING_U32[int(INTERESTING_U32.length)]!;
          const p = int(b.length - 3);
          // Mostly on a 4-octet boundary, where NDR's counts and referent ids sit.
          if (r() < 0.7) b.writeUInt32LE(v, p & ~3);
          else if (r() < 0.5) b.writeUInt32LE(v, p);
          else b.writeUInt32BE(v, p);
        }
        break;
      case 3: // set a 16-bit field
        if (b.length >= 2) b.writeUInt16LE([0, 1, 0x7fff, 0x8000, 0xffff, int(0x10000)][int(6)]!, int(b.length - 1));
        break;
      case 4: // truncate
        b = b.subarray(0, int(b.length + 1));
        break;
      case 5: // extend with random octets
        b = Buffer.concat([b, Buffer.from(Array.from({ length: 1 + int(64) }, () => int(256)))]);
        break;
      case 6: {
        // duplicate a slice in place (repeated structures, aliased ids)
        const len = int(Math.min(64, b.length) + 1);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
        break;
      }
      default: {
        // splice in part of another seed
        const o = target.seeds[int(target.seeds.length)]!;
        const from = int(o.length + 1);
        b = Buffer.concat([b.subarray(0, at), o.subarray(from, from + int(64)), b.subarray(at)]);
      }
    }
  }
  return { input: Buffer.from(b), pick: picked };
}

export interface Finding {
  index: number;
  /** The input, hex (cut to 512 octets), with its pick. */
  input: string;
  pick: number;
  error: string;
}

export interface TargetResult {
  target: string;
  inputs: number;
  crashes: Finding[];
  /** The slowest input and its time: a hang in the making shows here first. */
  slowest: { index: number; ms: number };
  /** Inputs over `slowMs` (finished, but a peer could repeat them). */
  slow: Finding[];
}

export interface RunOptions {
  seed: number;
  /** Stop after this long (ms) or this many inputs, whichever comes first. */
  budgetMs: number;
  maxInputs?: number;
  /** An input slower than this is reported. */
  slowMs?: number;
  /** Where to start (a resumed run after a hang). */
  fromIndex?: number;
  /** Called before each input (a watchdog's progress mark). */
  onInput?: (index: number) => void;
  /** Called at each crash or slow input as it is found (a worker that hangs later loses nothing). */
  onFinding?: (kind: 'crash' | 'slow', f: Finding) => void;
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 4).join('\n')}`;
  return String(e);
}

/** Checks every seed decodes (a seed that does not is no seed) and returns the bad ones. */
export function badSeeds(target: FuzzTarget): Array<{ seed: number; error: string }> {
  const out: Array<{ seed: number; error: string }> = [];
  target.seeds.forEach((s, i) => {
    try {
      target.run(s, target.seedPicks?.[i] ?? 0);
    } catch (e) {
      out.push({ seed: i, error: describeError(e) });
    }
  });
  return out;
}

export function fuzzTarget(target: FuzzTarget, o: RunOptions): TargetResult {
  const res: TargetResult = { target: target.name, inputs: 0, crashes: [], slowest: { index: -1, ms: 0 }, slow: [] };
  const end = performance.now() + o.budgetMs;
  const slowMs = o.slowMs ?? 1000;
  for (let i = o.fromIndex ?? 0; performance.now() < end && (o.maxInputs === undefined || res.inputs < o.maxInputs); i++) {
    o.onInput?.(i);
    const { input, pick } = makeInput(target, o.seed, i);
    const t0 = performance.now();
    try {
      target.run(input, pick);
    } catch (e) {
      if (!target.expected(e) && res.crashes.length < 20) {
        const f = { index: i, input: input.subarray(0, 512).toString('hex'), pick, error: describeError(e) };
        res.crashes.push(f);
        o.onFinding?.('crash', f);
      }
    }
    const ms = performance.now() - t0;
    if (ms > res.slowest.ms) res.slowest = { index: i, ms: Math.round(ms * 100) / 100 };
    if (ms > slowMs && res.slow.length < 20) {
      const f = { index: i, input: input.subarray(0, 512).toString('hex'), pick, error: `took ${Math.round(ms)} ms` };
      res.slow.push(f);
      o.onFinding?.('slow', f);
    }
    res.inputs++;
  }
  return res;
}
