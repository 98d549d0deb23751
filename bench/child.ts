import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The bench's child processes (scmpd, generated hosts, the echo ceiling, the scale server):
 * a Node script started with `args`, its stderr ours, ready once its stdout matches
 * `ready`; its exit before that rejects with what it printed.
 */
export async function startNode(script: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(ready);
      if (m) resolve(m);
    });
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready: ${out}`)));
  });
  return { child, match };
}

/** The value at fraction `p` (0.5 the median, 0.99 the p99) of ascending `sorted`. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}
