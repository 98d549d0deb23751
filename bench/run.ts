import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RpcClient } from '../src/client/rpc-client.js';
import { mgmt } from '../src/interfaces/mgmt/idl.js';

/**
 * `npm run bench`: each figure beside a ceiling measured in the same run. The server and
 * the ceiling each run in their own process, so the client's process measures both alike.
 * Output: one JSON document on stdout.
 */

const DURATION_MS = Number(process.env.BENCH_MS ?? 3000);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

async function startChild(script: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(ready);
      if (m) resolve(m);
    });
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}: ${out}`)));
  });
  return { child, match };
}

interface LoadResult {
  connections: number;
  calls: number;
  callsPerSecond: number;
  p50us: number;
  p99us: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Closed loop: each connection keeps one call outstanding for DURATION_MS. */
async function load(port: number, connections: number, bindEcho: boolean): Promise<LoadResult> {
  const clients = await Promise.all(Array.from({ length: connections }, () => RpcClient.connect('127.0.0.1', port)));
  for (const c of clients) {
    if (bindEcho) {
      // The ceiling server speaks no bind; mark the client bound by hand.
      c.maxXmitFrag = 5840;
    } else {
      await c.bindInterface(mgmt);
    }
  }
  const latencies: number[] = [];
  const stub = Buffer.alloc(0);
  const deadline = performance.now() + DURATION_MS;
  const started = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await c.request(0, mgmt.methods.is_server_listening.opnum, stub);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  const sorted = Float64Array.from(latencies).sort();
  return {
    connections,
    calls: latencies.length,
    callsPerSecond: Math.round(latencies.length / elapsed),
    p50us: Math.round(percentile(sorted, 0.5) * 1000),
    p99us: Math.round(percentile(sorted, 0.99) * 1000),
  };
}

async function main(): Promise<void> {
  // is_server_listening: a 24-byte request, a 32-byte response (status + boolean).
  const scmpd = await startChild(here('../src/cli/scmpd.js'), ['--listen', '127.0.0.1', '--port', '0', '--log-level', 'error'], /127\.0\.0\.1:(\d+)/);
  const echo = await startChild(here('./echo-server.js'), ['32'], /ready (\d+)/);
  const scmpPort = Number(scmpd.match[1]);
  const echoPort = Number(echo.match[1]);

  const results: Record<string, unknown> = {};
  const smallCall: Record<string, unknown> = {};
  for (const n of [1, 16]) {
    const server = await load(scmpPort, n, false);
    const ceiling = await load(echoPort, n, true);
    smallCall[`${n}conn`] = { server, ceiling, throughputRatio: Number((server.callsPerSecond / ceiling.callsPerSecond).toFixed(3)) };
  }
  results.smallCall = { call: 'mgmt is_server_listening (no authentication)', durationMs: DURATION_MS, ...smallCall };

  scmpd.child.kill('SIGTERM');
  echo.child.kill('SIGTERM');
  process.stdout.write(
    JSON.stringify({ node: process.version, date: new Date().toISOString(), cpus: (await import('node:os')).cpus().length, results }, null, 2) + '\n',
  );
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
