import { figure, load, merge, type Generator, type LoadRun } from './loadgen.js';

/**
 * One figure of the load generator against several servers in alternating rounds (A, B,
 * C, A, B, C, …), so that drift in the machine's speed falls on all alike; each target's
 * rounds merged, and each figure printed beside its peers with the ratios.
 */
export interface Peer {
  name: string;
  host: string;
  port: number;
  /** The server's CPU time so far (ms, all its processes and threads), when it can be read. */
  cpuMs?: () => number | undefined;
}

export async function alternate(
  gen: Generator,
  peers: Peer[],
  mode: 'call' | 'connect',
  connections: number,
  totalMs: number,
  rounds: number,
  sources?: { net: string; count: number },
): Promise<Record<string, unknown>> {
  const runs = new Map<string, LoadRun[]>(peers.map((p) => [p.name, []]));
  const cpu = new Map<string, number>(peers.map((p) => [p.name, 0]));
  const perRound = Math.max(100, totalMs / rounds);
  for (let i = 0; i < rounds; i++) {
    for (const p of peers) {
      const c0 = p.cpuMs?.();
      runs.get(p.name)!.push(await load(gen, p.host, p.port, mode, connections, perRound, { warmMs: 100, ...(sources ? { sources } : {}) }));
      const c1 = p.cpuMs?.();
      cpu.set(p.name, c0 !== undefined && c1 !== undefined ? cpu.get(p.name)! + (c1 - c0) : NaN);
    }
  }
  const merged = new Map([...runs].map(([k, v]) => [k, merge(v)]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of merged) {
    // The server's CPU time over every call it answered (warm-up included on both sides of
    // the division): what one call, or one connect-bind-call-close cycle, costs it.
    const ms = cpu.get(k)!;
    const perCall = Number.isFinite(ms) && v.answered ? Number(((ms * 1000) / v.answered).toFixed(1)) : undefined;
    out[k] = { ...figure(v), ...(perCall !== undefined ? { serverCpuUs: perCall } : {}) };
  }
  // Each peer's rate over each other's: scmpd first, so "scmpd/echo" reads as a share of the ceiling.
  const ratios: Record<string, number> = {};
  for (const a of peers)
    for (const b of peers) {
      if (a === b || peers.indexOf(b) < peers.indexOf(a)) continue;
      const rb = merged.get(b.name)!.perSecond;
      ratios[`${a.name}/${b.name}`] = rb ? Number((merged.get(a.name)!.perSecond / rb).toFixed(3)) : 0;
    }
  out.ratios = ratios;
  return out;
}
