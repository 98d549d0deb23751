import { readFileSync, readdirSync } from 'node:fs';

/**
 * What the bench reads of other processes from /proc (Linux): resident memory and CPU time.
 * Each answers undefined where /proc or the process is not there.
 */

/** USER_HZ: the unit of /proc's CPU times, 100 on every Linux build node runs on (`getconf CLK_TCK`). */
const CLOCK_TICKS = 100;

/** The resident set of `pid` in bytes (VmRSS). */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The fields of /proc/PID/stat after the command name (which may hold spaces and is in
 * parentheses): [0] is the state, [1] the parent's pid, [11] and [12] user and system time.
 */
export function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system, ms) `pid` has used: all its threads, or with `mainThread` only
 * the thread whose id is the pid's (a Node process's JavaScript thread; the rest are V8's
 * garbage-collection helpers and libuv's pool).
 */
export function cpuMs(pid: number | undefined, mainThread = false): number | undefined {
  const f = pid === undefined ? undefined : statFields(mainThread ? `${pid}/task/${pid}` : pid);
  return f ? ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS : undefined;
}

/** `root` and every process descended from it now (samba-dcerpcd and its rpcd workers). */
export function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const f = statFields(d); // undefined: gone meanwhile
    if (f) parent.set(Number(d), Number(f[1]));
  }
  const tree: number[] = [];
  for (const pid of parent.keys()) {
    for (let p: number | undefined = pid; p !== undefined && p > 0; p = parent.get(p)) {
      if (p === root) {
        tree.push(pid);
        break;
      }
    }
  }
  return tree;
}

/** Resident set of a process and its descendants (bytes). */
export function treeRss(root: number): number {
  return processTree(root).reduce((s, pid) => s + (rssBytes(pid) ?? 0), 0);
}

/** CPU time (ms) of a process and its descendants alive now (a worker gone meanwhile takes its time with it). */
export function treeCpuMs(root: number): number {
  return processTree(root).reduce((s, pid) => s + (cpuMs(pid) ?? 0), 0);
}
