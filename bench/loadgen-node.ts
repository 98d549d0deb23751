import * as net from 'node:net';

/**
 * The load generator in Node, for machines without a C compiler: the same arguments, the
 * same bytes (bind mgmt v1.0 with NDR20, no authentication; requests with an empty stub)
 * and the same JSON as bench/loadgen.c. `bench/loadgen.ts` runs several of these processes.
 *
 *   loadgen-node HOST PORT call|connect|hold CONNS MS [--warm MS] [--opnum N] [--src A.B N]
 */
const [host, portText, mode, connsText, msText, ...rest] = process.argv.slice(2);
const port = Number(portText);
const conns = Number(connsText);
const ms = Number(msText);
let warm = 0;
let opnum = 2;
let src: { a: number; b: number; count: number } | undefined;
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--warm') warm = Number(rest[++i]);
  else if (rest[i] === '--opnum') opnum = Number(rest[++i]);
  else if (rest[i] === '--src') {
    const [a, b] = rest[++i]!.split('.').map(Number);
    src = { a: a!, b: b!, count: Number(rest[++i]) };
  } else throw new Error(`unknown option ${rest[i]}`);
}

function header(ptype: number, len: number, callId: number): Buffer {
  const p = Buffer.alloc(len);
  p[0] = 5;
  p[2] = ptype;
  p[3] = 3;
  p[4] = 0x10;
  p.writeUInt16LE(len, 8);
  p.writeUInt32LE(callId, 12);
  return p;
}
const MGMT_NDR20 = Buffer.from('80bda8af8a7dc911bef408002b1029890100000004' + '5d888aeb1cc9119fe808002b10486002000000', 'hex');
function bindPdu(callId: number): Buffer {
  const p = header(11, 72, callId);
  p.writeUInt16LE(5840, 16);
  p.writeUInt16LE(5840, 18);
  p[24] = 1;
  p[30] = 1;
  MGMT_NDR20.copy(p, 32);
  return p;
}
function requestPdu(callId: number): Buffer {
  const p = header(0, 24, callId);
  p.writeUInt16LE(opnum, 22);
  return p;
}
function accepted(p: Buffer): boolean {
  if (p.length < 28) return false;
  const off = (26 + p.readUInt16LE(24) + 3) & ~3;
  return off + 6 <= p.length && p[off]! >= 1 && p.readUInt16LE(off + 4) === 0;
}

const hist = new Map<number, number>();
let counting = false;
/** Every call answered, warm-up included (what the server's CPU time paid for). */
let answered = 0;
let done = 0;
let errors = 0;
let refused = 0;
let held = 0;
let stopped = false;

/** One connection's life: connect, bind, then calls (or one call and close, or idle). Resolves when it ends. */
function connection(i: number, onIdle?: () => void): Promise<'ok' | 'error'> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = net.connect({ host, port, noDelay: true, ...(src ? { localAddress: `${src.a}.${src.b}.${Math.floor((i % src.count) / 250)}.${((i % src.count) % 250) + 1}` } : {}) });
    let callId = 0;
    let state: 'bind' | 'call' | 'idle' = 'bind';
    let pending: Buffer = Buffer.alloc(0);
    let tCall = 0;
    const end = (how: 'ok' | 'error') => {
      s.destroy();
      resolve(how);
    };
    s.on('connect', () => s.write(bindPdu(++callId)));
    s.on('error', () => end('error'));
    s.on('close', () => resolve(state === 'idle' ? 'ok' : 'error'));
    const call = () => {
      tCall = performance.now();
      s.write(requestPdu(++callId));
    };
    s.on('data', (d: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      while (pending.length >= 16) {
        const len = pending.readUInt16LE(8);
        if (pending.length < len) return;
        const pdu = pending.subarray(0, len);
        pending = pending.subarray(len);
        if (pdu.readUInt32LE(12) !== callId) return end('error');
        if (state === 'bind') {
          if (pdu[2] !== 12 || !accepted(pdu)) {
            if (counting) refused++;
            return end('error');
          }
          if (mode === 'hold') {
            state = 'idle';
            onIdle?.();
            return;
          }
          state = 'call';
          call();
        } else if (pdu[2] !== 2) return end('error');
        else {
          const us = Math.floor(((mode === 'connect' ? performance.now() - t0 : performance.now() - tCall) * 1000));
          answered++;
          if (counting) {
            hist.set(us, (hist.get(us) ?? 0) + 1);
            done++;
          }
          if (mode === 'connect' || stopped) return end('ok');
          call();
        }
      }
    });
  });
}

async function worker(i: number): Promise<void> {
  while (!stopped) {
    const how = await connection(i);
    if (how === 'error' && counting) errors++;
  }
}

if (mode === 'hold') {
  let settled = 0;
  const t = performance.now();
  await new Promise<void>((resolve) => {
    for (let i = 0; i < conns; i++)
      void connection(i, () => {
        held++;
        if (++settled === conns) resolve();
      }).then((how) => {
        if (how === 'error') {
          errors++;
          if (++settled === conns) resolve();
        }
      });
  });
  process.stdout.write(JSON.stringify({ mode, connections: conns, held, errors, refused, sources: src?.count ?? 0, openMs: Math.round(performance.now() - t) }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} else {
  const workers = Array.from({ length: conns }, (_, i) => worker(i));
  await new Promise((r) => setTimeout(r, warm));
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const seconds = (performance.now() - t0) / 1000;
  counting = false;
  stopped = true;
  const sorted = [...hist.entries()].sort((a, b) => a[0] - b[0]);
  const pct = (p: number) => {
    let seen = 0;
    for (const [us, n] of sorted) if ((seen += n) > Math.floor(done * p)) return us;
    return 0;
  };
  process.stdout.write(
    JSON.stringify({ mode, connections: conns, seconds, [mode === 'connect' ? 'cycles' : 'calls']: done, perSecond: done / seconds, errors, refused, p50us: pct(0.5), p99us: pct(0.99), answered, hist: sorted }) + '\n',
  );
  void workers; // pipes are written synchronously on Linux: the line is out before exit
  process.exit(0);
}
