/**
 * Issue 18, the network side: each attack of the robustness campaign replayed over TCP
 * against a server with small limits, and the server's own counters and log read back.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { BindNakError, RpcClient, RpcFaultError, syntaxOf } from '../../src/client/rpc-client.js';
import { FAULT, NDR20_SYNTAX, PFC } from '../../src/dcerpc/constants.js';
import { PduFramer } from '../../src/dcerpc/pdu/framer.js';
import { parsePdu } from '../../src/dcerpc/pdu/parser.js';
import { encodeBind, encodeRequest } from '../../src/dcerpc/pdu/serializer.js';
import type { Pdu } from '../../src/dcerpc/pdu/types.js';
import { implement, InterfaceRegistry } from '../../src/dcerpc/registry.js';
import { RpcServer } from '../../src/dcerpc/server.js';
import type { RpcSettings } from '../../src/dcerpc/settings.js';
import { epm, RPC_C_EP, RPC_C_VERS } from '../../src/interfaces/epm/idl.js';
import { serveEpm } from '../../src/interfaces/epm/server.js';
import { createLogger, RateLimitedLog } from '../../src/log.js';
import { GUID_NULL } from '../../src/ndr/index.js';
import { echo } from '../helpers/echo.js';

interface Line {
  level: string;
  msg: string;
  [k: string]: unknown;
}

/** An RPC server serving echo and the endpoint mapper, its log kept as parsed lines. */
async function server(settings: Partial<RpcSettings>) {
  const lines: Line[] = [];
  const rpc = new RpcServer({ settings, log: createLogger('debug', (l) => lines.push(JSON.parse(l))) });
  const registry = new InterfaceRegistry()
    .add(
      implement(echo, {
        echo: (a) => ({ len: a.len, data: a.data }),
        add: (a) => ({ sum: (a.a + a.b) >>> 0 }),
        slow: (a) => new Promise((resolve) => setTimeout(() => resolve({ tag: a.tag }), Math.min(a.ms, 2000))),
        whoami: () => ({ object: GUID_NULL }),
        caller: () => ({ user: null, level: 1 }),
        stubSize: (_a, call) => ({ stubLength: call.stubLength }),
      }),
    )
    .add(serveEpm(() => []));
  const ep = await rpc.listen('test', registry, ['127.0.0.1'], 0);
  const s = { rpc, lines, port: ep.port };
  running.push(s);
  return s;
}
const running: Array<{ rpc: RpcServer }> = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of running.splice(0)) await s.rpc.close();
});

/** A TCP connection from a chosen loopback address (Linux answers on all of 127/8). */
function connectFrom(localAddress: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    sockets.push(s);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

async function clientFrom(localAddress: string, port: number): Promise<RpcClient> {
  return new RpcClient(await connectFrom(localAddress, port));
}

/** Every PDU the server sends on `s`, and a promise of its close. */
function collect(s: net.Socket) {
  const framer = new PduFramer(0xffff);
  const pdus: Pdu[] = [];
  const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
  s.on('error', () => {});
  s.on('data', (d) => {
    for (const f of framer.push(d)) pdus.push(parsePdu(f));
  });
  return { pdus, closed };
}

const bindEcho = (flags = PFC.FIRST_FRAG | PFC.LAST_FRAG) =>
  encodeBind('bind', {
    callId: 1,
    flags,
    maxXmitFrag: 5840,
    maxRecvFrag: 5840,
    assocGroupId: 0,
    contexts: [{ contextId: 0, abstractSyntax: syntaxOf(echo), transferSyntaxes: [{ ...NDR20_SYNTAX }] }],
  });

const until = async (cond: () => boolean, what: string, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('defect 1: a full pointer aliasing a referent of another type', () => {
  test('ept_map whose map_tower reuses the object GUID pointer’s referent id gets rpc_x_bad_stub_data, logged at debug, and the connection stays', async () => {
    const s = await server({});
    const c = await clientFrom('127.0.0.1', s.port);
    await c.bindInterface(epm);
    // ept_map(object = [ptr] GUID*, map_tower = [ptr] twr_t*, entry_handle, max_towers): the
    // tower pointer repeats referent id 0x20000 of the GUID, so no tower follows.
    const stub = Buffer.alloc(4 + 16 + 4 + 20 + 4);
    stub.writeUInt32LE(0x20000, 0);
    Buffer.from('00112233445566778899aabbccddeeff', 'hex').copy(stub, 4);
    stub.writeUInt32LE(0x20000, 20);
    stub.writeUInt32LE(4, 44);
    const e = await c.requestRaw(0, epm.methods.ept_map.opnum, stub).catch((x) => x);
    expect(e).toBeInstanceOf(RpcFaultError);
    expect((e as RpcFaultError).status).toBe(FAULT.rpc_x_bad_stub_data);
    expect(s.lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(s.lines.some((l) => l.msg === 'bad stub data' && String(l.error).includes('aliases a GUID as a twr_t'))).toBe(true);
    // The connection still serves the endpoint mapper.
    const lookup = await c.call(0, epm.methods.ept_lookup, {
      inquiry_type: RPC_C_EP.ALL_ELTS,
      object: null,
      interface_id: null,
      vers_option: RPC_C_VERS.ALL,
      entry_handle: { context_handle_attributes: 0, context_handle_uuid: GUID_NULL },
      max_ents: 1,
    });
    expect(lookup.status).toBeTypeOf('number');
    await c.close();
  });
});

describe('defect 2: the total reassembly budget', () => {
  test('8 connections × 32 calls × 160 KiB never hold more than maxReassemblyBytesTotal; refused calls get nca_s_server_too_busy; all is released', async () => {
    const limit = 1024 * 1024;
    const s = await server({ maxReassemblyBytesTotal: limit, maxCallsInFlightPerSource: 1000, maxRequestSize: 4 * 1024 * 1024 });
    const conns = await Promise.all(Array.from({ length: 8 }, () => connectFrom('127.0.0.1', s.port)));
    const seen = conns.map(collect);
    for (const sock of conns) sock.write(bindEcho(PFC.FIRST_FRAG | PFC.LAST_FRAG | PFC.CONC_MPX));
    await until(() => seen.every((x) => x.pdus.length === 1), 'bind_acks');
    const chunk = Buffer.alloc(5000, 0x41);
    // Every call's first fragments, never its last: the server can only hold or refuse them.
    for (let frag = 0; frag < 32; frag++) {
      for (const sock of conns) {
        for (let call = 1; call <= 32; call++) {
          const flags = frag === 0 ? PFC.FIRST_FRAG : 0;
          sock.write(encodeRequest({ callId: call + 1, flags, allocHint: 0, contextId: 0, opnum: 0, stub: chunk }));
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const attempted = 8 * 32 * 32 * chunk.length;
    await until(() => s.rpc.stats.pktsIn >= 8 + 8 * 32 * 32, 'every fragment read');
    expect(attempted).toBeGreaterThan(8 * limit);
    expect(s.rpc.reassembly.peak).toBeLessThanOrEqual(limit);
    expect(s.rpc.reassembly.peak).toBeGreaterThan(limit - 2 * chunk.length);
    expect(s.rpc.reassembly.refused).toBeGreaterThan(0);
    const faults = seen.flatMap((x) => x.pdus).filter((p) => p.type === 'fault');
    expect(faults.length).toBeGreaterThan(0);
    for (const f of faults) expect(f.type === 'fault' && f.status).toBe(FAULT.nca_s_server_too_busy);
    // Refusal is logged once per source and window, not once per call.
    expect(s.lines.filter((l) => l.msg === 'reassembly budget exhausted').length).toBeLessThanOrEqual(10);
    expect(s.lines.find((l) => l.msg === 'reassembly budget exhausted')?.source).toBe('127.0.0.1');
    for (const sock of conns) sock.destroy();
    await until(() => s.rpc.connectionCount === 0, 'connections gone');
    expect(s.rpc.reassembly.used).toBe(0);
  });
});

describe('defect 3: per-source shares and timeouts', () => {
  test('three dozen sockets from 127.0.0.1 exhaust its share of 8; a client from 127.0.0.2 still binds and calls', async () => {
    const s = await server({ maxConnectionsPerSource: 8 });
    const hogs = await Promise.all(Array.from({ length: 36 }, () => connectFrom('127.0.0.1', s.port)));
    const closed = hogs.map((h) => collect(h).closed.then(() => true));
    await until(() => s.rpc.connectionCount === 8, '8 connections held');
    // The 28 beyond the share were reset on accept.
    const settled = await Promise.all(closed.map((p) => Promise.race([p, new Promise<boolean>((r) => setTimeout(() => r(false), 1000))])));
    expect(settled.filter(Boolean).length).toBe(28);
    const other = await clientFrom('127.0.0.2', s.port);
    await other.bindInterface(echo);
    expect((await other.call(0, echo.methods.add, { a: 40, b: 2 })).sum).toBe(42);
    await other.close();
    const refused = s.lines.filter((l) => l.msg === 'connection refused');
    expect(refused.length).toBeLessThanOrEqual(10);
    expect(refused[0]).toMatchObject({ level: 'warn', reason: 'maxConnectionsPerSource', source: '127.0.0.1' });
  });

  test('calls in flight per source: a third concurrent call from 127.0.0.1 over 3 connections is refused busy; 127.0.0.2 is served', async () => {
    const s = await server({ maxCallsInFlightPerSource: 2 });
    const clients = await Promise.all([0, 1, 2].map(() => clientFrom('127.0.0.1', s.port)));
    for (const c of clients) await c.bindInterface(echo);
    const slow = clients.slice(0, 2).map((c, i) => c.call(0, echo.methods.slow, { ms: 1500, tag: i }));
    await until(() => s.rpc.callsFrom('127.0.0.1') === 2, 'two calls running');
    const third = await clients[2]!.call(0, echo.methods.add, { a: 1, b: 1 }).catch((x) => x);
    expect(third).toBeInstanceOf(RpcFaultError);
    expect((third as RpcFaultError).status).toBe(FAULT.nca_s_server_too_busy);
    const other = await clientFrom('127.0.0.2', s.port);
    await other.bindInterface(echo);
    expect((await other.call(0, echo.methods.add, { a: 2, b: 3 })).sum).toBe(5);
    expect((await Promise.all(slow)).map((r) => r.tag)).toEqual([0, 1]);
    // The share is free again.
    expect((await clients[2]!.call(0, echo.methods.add, { a: 1, b: 1 })).sum).toBe(2);
    for (const c of [...clients, other]) await c.close();
  });

  test('slowloris: a PDU trickled one octet at a time is cut by the progress timeout while the trickle goes on', async () => {
    const s = await server({ progressTimeoutMs: 300, idleTimeoutMs: 60_000 });
    const sock = await connectFrom('127.0.0.1', s.port);
    const { closed } = collect(sock);
    let gone = false;
    void closed.then(() => (gone = true));
    const bind = bindEcho();
    let sent = 0;
    // The bind is 72 octets; one every 40 ms would take about 3 s to complete it.
    while (!gone && sent < bind.length - 1) {
      sock.write(bind.subarray(sent, sent + 1));
      sent++;
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(gone).toBe(true);
    expect(sent).toBeLessThan(bind.length - 1);
    expect(s.lines.some((l) => l.msg === 'progress timeout' && l.source === '127.0.0.1')).toBe(true);
  });

  test('idle timeout counts whole PDUs: a connection sending a byte of a PDU now and then is still closed', async () => {
    // A progress timeout longer than the idle one: only the idle timer can close this one.
    const s = await server({ progressTimeoutMs: 60_000, idleTimeoutMs: 300 });
    const sock = await connectFrom('127.0.0.1', s.port);
    const { pdus, closed } = collect(sock);
    sock.write(bindEcho());
    await until(() => pdus.length === 1, 'bind_ack');
    let gone = false;
    void closed.then(() => (gone = true));
    const req = encodeRequest({ callId: 2, flags: PFC.FIRST_FRAG | PFC.LAST_FRAG, allocHint: 0, contextId: 0, opnum: 1, stub: Buffer.alloc(8) });
    let sent = 0;
    while (!gone && sent < req.length - 1) {
      sock.write(req.subarray(sent, sent + 1));
      sent++;
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(gone).toBe(true);
    expect(sent).toBeLessThan(req.length - 1);
    expect(s.lines.some((l) => l.msg === 'idle timeout')).toBe(true);
  });
});

describe('defect 8: log level and log floods', () => {
  test('an access-denied style field named level does not replace the line’s level', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l));
    log.info('access denied', { level: 1, time: 'x', msg: 'y', authLevel: 1 });
    const o = JSON.parse(lines[0]!);
    expect(o.level).toBe('info');
    expect(o.msg).toBe('access denied');
    expect(o.time).not.toBe('x');
    expect(o.authLevel).toBe(1);
    expect(Object.keys(o).slice(0, 3)).toEqual(['time', 'level', 'msg']);
  });

  test('RateLimitedLog: lines per message and source per window; the next window opens with "log lines suppressed" and its count', () => {
    const lines: Line[] = [];
    let now = 0;
    const rl = new RateLimitedLog(createLogger('info', (l) => lines.push(JSON.parse(l))), { logLinesPerSource: 2, logRateWindowMs: 1000 }, () => now);
    for (let i = 0; i < 7; i++) rl.line('info', 'bad', '10.0.0.1', { i });
    rl.line('info', 'other', '10.0.0.1');
    rl.line('info', 'bad', '10.0.0.2');
    expect(lines.map((l) => `${l.msg} ${l.source} ${l.i ?? ''}`)).toEqual(['bad 10.0.0.1 0', 'bad 10.0.0.1 1', 'other 10.0.0.1 ', 'bad 10.0.0.2 ']);
    now = 1000;
    rl.line('info', 'bad', '10.0.0.1', { i: 7 });
    expect(lines.slice(4)).toEqual([
      expect.objectContaining({ level: 'info', msg: 'log lines suppressed', of: 'bad', source: '10.0.0.1', suppressed: 5 }),
      expect.objectContaining({ msg: 'bad', source: '10.0.0.1', i: 7 }),
    ]);
    rl.flush();
    expect(lines).toHaveLength(6);
  });

  test('500 malformed binds from one source write at most logLinesPerSource lines, then "log lines suppressed" with the count', async () => {
    const s = await server({ logLinesPerSource: 5, logRateWindowMs: 60_000 });
    for (let i = 0; i < 50; i++) {
      const socks = await Promise.all(Array.from({ length: 10 }, () => connectFrom('127.0.0.1', s.port)));
      const all = socks.map(collect);
      // A bind with rpc_vers 4: refused (bind_nak) and logged as "bind refused".
      for (const sock of socks) {
        const b = bindEcho();
        b[0] = 4;
        sock.end(b);
      }
      await Promise.all(all.map((x) => x.closed));
      for (const sock of socks) sock.destroy();
    }
    const refused = s.lines.filter((l) => l.msg === 'bind refused');
    expect(refused.length).toBe(5);
    expect(refused[0]!.source).toBe('127.0.0.1');
    // Another source has a budget of its own.
    const other = await connectFrom('127.0.0.2', s.port);
    const o = collect(other);
    const b = bindEcho();
    b[0] = 4;
    other.end(b);
    await o.closed;
    expect(s.lines.filter((l) => l.msg === 'bind refused' && l.source === '127.0.0.2').length).toBe(1);
    await s.rpc.close();
    const suppressed = s.lines.filter((l) => l.msg === 'log lines suppressed' && l.of === 'bind refused');
    expect(suppressed).toEqual([expect.objectContaining({ source: '127.0.0.1', suppressed: 495 })]);
  });
});

describe('defect 10: association groups', () => {
  test('a group id is joinable from the address that created it, and refused (bind_nak) from another', async () => {
    const s = await server({});
    const a = await clientFrom('127.0.0.1', s.port);
    await a.bindInterface(epm);
    const id = a.assocGroupId;
    expect(id).not.toBe(0);
    const same = await clientFrom('127.0.0.1', s.port);
    await same.bindInterface(epm, { assocGroupId: id });
    expect(same.assocGroupId).toBe(id);
    const other = await clientFrom('127.0.0.2', s.port);
    const e = await other.bindInterface(epm, { assocGroupId: id }).catch((x) => x);
    expect(e).toBeInstanceOf(BindNakError);
    for (const c of [a, same]) await c.close();
  });
});
