/**
 * Issue 18, defects 4 and 5: the admin API under siege by a local process without the token.
 *  4. Its slots were taken before the token was checked (about half the administrator's
 *     requests reset with them kept topped up), and slow bodies lived ~25 s, not 10 s.
 *  5. A chunked body over 2 MiB got a reset, not 413; each aborted request was an error line.
 */
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { startAdminServer, type AdminServer, type AdminSettings } from '../../src/admin/http.js';
import { createLogger } from '../../src/log.js';
import { defaultHostModel } from '../../src/store/default-host.js';
import { EmulatedHost } from '../../src/store/emulated-host.js';

const TOKEN = 'siege-token-0123456789abcdef';
const servers: AdminServer[] = [];
const sockets = new Set<Socket>();
afterEach(() => {
  for (const s of sockets) s.destroy();
  sockets.clear();
});
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function server(settings: Partial<AdminSettings> = {}) {
  const lines: Array<Record<string, any>> = [];
  const log = createLogger('debug', (l) => lines.push(JSON.parse(l)));
  const s = await startAdminServer({ host: new EmulatedHost(defaultHostModel()), token: TOKEN, port: 0, settings, log });
  servers.push(s);
  return { s, lines };
}

/** A raw connection, closed after the test. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1', () => resolve(c));
    sockets.add(c);
    c.on('error', () => {});
    c.on('close', () => {
      sockets.delete(c);
      // Destroyed before it connected (the test ending): no 'connect' will come.
      reject(new Error('closed before connecting'));
    });
    c.once('error', reject);
  });
}

/** Everything the server sends on `c` until it closes it (or `until` matches). */
function answer(c: Socket, until?: RegExp): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    c.on('data', (d) => {
      text += d.toString('latin1');
      if (until?.test(text)) resolve(text);
    });
    c.on('close', () => resolve(text));
  });
}

/** One administrator's request on a fresh connection (no keep-alive pool to hide behind). */
function adminGet(port: number, path = '/api/host'): Promise<number> {
  return new Promise((resolve) => {
    const r = httpRequest({ host: '127.0.0.1', port, path, agent: false, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.on('error', (e) => resolve(-1 * ((e as NodeJS.ErrnoException).errno ?? 1)));
    r.end();
  });
}

describe('defect 4: a process without the token cannot lock the administrator out', () => {
  test('with the strangers\' slots kept topped up by slow tokenless connections, every administrator request succeeds', async () => {
    const SLOTS = 8;
    const { s, lines } = await server({ maxUnauthenticatedConnections: SLOTS, maxConnections: 4 });
    let stop = false;
    let opened = 0;
    // The attacker: more connections than there are slots, each reopened the moment it is
    // closed, so the slots are always full and every newcomer closes someone; half trickle
    // their headers, half sent a tokenless request whose body trickles (answered 401
    // without reading it).
    const attacker = async (i: number) => {
      while (!stop) {
        const c = await open(s.port).catch(() => undefined);
        if (!c) continue;
        if (stop) {
          c.destroy();
          break;
        }
        opened++;
        const closed = new Promise((r) => c.once('close', r));
        c.write(i % 2 === 0 ? 'GET /api/host HTTP/1.1\r\nHost: x\r\n' : 'POST /api/shadows HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{');
        const trickle = setInterval(() => c.writable && c.write(i % 2 === 0 ? 'X-A: b\r\n' : ' '), 20);
        await closed;
        clearInterval(trickle);
      }
    };
    const attackers = Array.from({ length: SLOTS + 4 }, (_, i) => attacker(i));
    // Let the siege fill the slots before the administrator comes.
    while (opened < SLOTS * 3) await new Promise((r) => setTimeout(r, 10));
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push(await adminGet(s.port));
    stop = true;
    for (const c of sockets) c.destroy();
    await Promise.all(attackers);
    expect(statuses).toEqual(Array(40).fill(200));
    // The strangers were closed to make room, and said so with their source, not once per connection.
    const made = lines.filter((l) => l.msg === 'admin connection closed to make room: it had not shown the token');
    expect(made.length).toBeGreaterThan(0);
    expect(made[0]).toMatchObject({ level: 'warn', client: '127.0.0.1', slots: SLOTS });
    expect(made.length).toBeLessThan(opened);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  test('a slow body dies at the request timeout, long before it would have been sent', async () => {
    const { s } = await server({ requestTimeoutMs: 400, headersTimeoutMs: 200 });
    const c = await open(s.port);
    const got = answer(c);
    // 400 bytes at one per 25 ms would take 10 s: the request timeout must end it first.
    c.write(`PUT /api/documents/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n`);
    let sent = 0;
    const trickle = setInterval(() => {
      if (c.writable && sent < 400) {
        c.write(' ');
        sent++;
      }
    }, 25);
    const text = await got;
    clearInterval(trickle);
    expect(sent).toBeLessThan(400);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('a header trickle dies at the header timeout', async () => {
    const { s } = await server({ requestTimeoutMs: 5_000, headersTimeoutMs: 200 });
    const c = await open(s.port);
    const got = answer(c);
    c.write('GET /api/host HTTP/1.1\r\n');
    let sent = 0;
    const trickle = setInterval(() => {
      if (c.writable && sent < 400) {
        c.write(`X-${sent}: y\r\n`);
        sent++;
      }
    }, 25);
    await got;
    clearInterval(trickle);
    expect(sent).toBeLessThan(400);
  });
});

describe('defect 5: bodies over the limit are 413, aborted requests are not errors', () => {
  const chunkedPost = (c: Socket, bytes: number) => {
    c.write(`PUT /api/documents/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const piece = Buffer.alloc(64 * 1024, 0x20);
    for (let sent = 0; sent < bytes; sent += piece.length) c.write(`${piece.length.toString(16)}\r\n${piece.toString('latin1')}\r\n`);
    c.write('0\r\n\r\n');
  };

  test('a chunked body over 2 MiB is answered 413 with the JSON error, and the connection stays usable', async () => {
    const { s, lines } = await server();
    const c = await open(s.port);
    const got = answer(c, /\r\n\r\n\{.*\}\n$/s);
    chunkedPost(c, 3 * 1024 * 1024);
    const text = await got;
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({ error: { message: 'body larger than 2097152 bytes' } });
    // The rest of the body was read and dropped: the same connection answers the next request.
    const next = answer(c, /\r\n\r\n\{.*\}\n$/s);
    c.write(`GET /api/host HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    expect(await next).toMatch(/^HTTP\/1\.1 200 /);
    expect(lines.find((l) => l.status === 413)).toMatchObject({ audit: 'admin', level: 'warn', outcome: 'too large' });
  });

  test('a declared Content-Length over the limit is 413 before any of the body is read', async () => {
    const { s } = await server();
    const c = await open(s.port);
    const got = answer(c, /\r\n\r\n\{.*\}\n$/s);
    c.write(`PUT /api/documents/big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: ${3 * 1024 * 1024}\r\n\r\n{`);
    expect(await got).toMatch(/^HTTP\/1\.1 413 /);
  });

  test('a request the client abandons mid-body is a debug line, never an error line', async () => {
    const { s, lines } = await server();
    const c = await open(s.port);
    c.write(`PUT /api/documents/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"xml":`);
    await new Promise((r) => setTimeout(r, 50));
    c.resetAndDestroy();
    while (!lines.some((l) => l.msg === 'admin request abandoned by the client')) await new Promise((r) => setTimeout(r, 10));
    expect(lines.find((l) => l.msg === 'admin request abandoned by the client')).toMatchObject({ level: 'debug', method: 'PUT', path: '/api/documents/x', client: '127.0.0.1' });
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});
