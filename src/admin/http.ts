/**
 * The admin API over HTTP (node:http): JSON in, JSON out, bound to loopback unless told
 * otherwise, every request carrying `Authorization: Bearer TOKEN`. Answers:
 *   200 with the route's result; 400 {error:{field,message}} for a body that is not what
 *   the route takes; 401 without the right token; 404 for an unknown route or object;
 *   409 {error:{hresult,hresultName,message}} when the host refuses (the VSS HRESULT it would
 *   answer, and its name);
 *   408 for a request not sent in time; 413 for a body over maxBodyBytes (the rest is read
 *   and dropped, so the client reads the answer); 500 never leaks a stack.
 * The token is checked on the headers, before any body is read; until a connection has shown
 * it, it holds a stranger's slot, and the oldest stranger is closed for a newcomer
 * (slots.ts), so a process without the token cannot hold the administrator off.
 * Every request that changes or tries to change the host (any method but GET), and every
 * request refused for its token, is one JSON log line with `"audit":"admin"`: the route,
 * the outcome, and the change (its parameters and body, long strings shortened, and what it
 * made or deleted).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { EmulatedHost } from '../store/emulated-host.js';
import { StoreError } from '../store/errors.js';
import { statusHex, statusName, VSS_E_OBJECT_NOT_FOUND } from '../status/index.js';
import { BadRequest, Fields } from './fields.js';
import { ROUTES, type Method } from './routes.js';
import { auditChange, auditResult } from './audit.js';
import { AdminSlots } from './slots.js';

export interface AdminSettings {
  /** Largest request body accepted (a Backup Components Document fits). */
  maxBodyBytes: number;
  /** Time a client has to send its whole request, body included. */
  requestTimeoutMs: number;
  /** Time a client has to send its request line and headers (where the token is). */
  headersTimeoutMs: number;
  /** Connections held open at once that have shown the token. */
  maxConnections: number;
  /** Connections that have not (yet) shown the token; the oldest is closed for a newcomer. */
  maxUnauthenticatedConnections: number;
  /** An idle kept-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_ADMIN_SETTINGS: Readonly<AdminSettings> = {
  maxBodyBytes: 2 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 3_000,
  maxConnections: 64,
  maxUnauthenticatedConnections: 64,
  keepAliveTimeoutMs: 5_000,
};

/** At most one line per this long for each kind of connection closed to keep the limits. */
const REFUSAL_LOG_EVERY_MS = 10_000;

export const DEFAULT_ADMIN_LISTEN = '127.0.0.1';
export const DEFAULT_ADMIN_PORT = 8135;

export interface AdminServerOptions {
  host: EmulatedHost;
  token: string;
  listen?: string;
  port?: number;
  settings?: Partial<AdminSettings>;
  log?: Logger;
}

export interface AdminServer {
  readonly address: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** A fresh admin token: 32 random bytes in hex. */
export const newAdminToken = (): string => randomBytes(32).toString('hex');

/** The client closed or reset the connection before its request was whole: nobody to answer. */
class ClientGone extends Error {}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

/** The HRESULT's spec name beside its number, when the status table knows it. */
function nameOf(hresult: number): { hresultName?: string } {
  const name = statusName(hresult);
  return name === undefined ? {} : { hresultName: name };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function tokenMatches(header: string | undefined, token: Buffer): boolean {
  const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!, 'utf8');
  return given.length === token.length && timingSafeEqual(given, token);
}

/**
 * The body, up to `limit` bytes. Past the limit (declared, or counted as a chunked body
 * arrives) it is a 413: what is still coming is read and dropped, not kept, so the client
 * reads its answer instead of a reset; node:http's request timeout bounds how long that lasts.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new HttpError(413, { error: { message: `body larger than ${limit} bytes` } });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(tooLarge()); // once settled, later calls do nothing
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => (size > limit ? reject(tooLarge()) : resolve(Buffer.concat(chunks).toString('utf8'))));
    // A request the client abandoned (closed, reset, timed out) is no server failure.
    req.on('error', (e) => reject(new ClientGone(e.message)));
    req.on('close', () => {
      if (!req.complete) reject(new ClientGone('closed before the body was whole'));
    });
  });
}

export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const settings = { ...DEFAULT_ADMIN_SETTINGS, ...opts.settings };
  if (opts.token.length < 16) throw new TypeError('the admin token must have at least 16 characters');
  const token = Buffer.from(opts.token, 'utf8');
  const slots = new AdminSlots({ maxStrangers: settings.maxUnauthenticatedConnections, maxTrusted: settings.maxConnections, logEveryMs: REFUSAL_LOG_EVERY_MS }, opts.log);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // What the audit line says, filled in as the request is understood.
    const audit: { route?: string; params?: string[]; body?: unknown; result?: unknown } = {};
    // Taken now: once a client has gone, its socket no longer says where it was.
    const client = req.socket.remoteAddress;
    const answer = (status: number, body: unknown) => {
      send(res, status, body);
      if (req.method !== 'GET' || status === 401) auditLine(req, status, body, audit);
    };
    try {
      if (!tokenMatches(req.headers.authorization, token)) {
        res.setHeader('www-authenticate', 'Bearer realm="scmp admin"');
        throw new HttpError(401, { error: { message: 'a valid admin token is required (Authorization: Bearer TOKEN)' } });
      }
      // The token is checked on the headers alone, before any body is read: from here this
      // connection holds one of the administrator's slots, never a stranger's.
      slots.trust(req.socket);
      const url = new URL(req.url ?? '/', 'http://admin.invalid');
      const method = req.method as Method;
      const path = url.pathname.replace(/\/+$/, '') || '/';
      const matches = ROUTES.map((r) => ({ r, m: r.path.exec(path) })).filter((x) => x.m !== null);
      if (matches.length === 0) throw new HttpError(404, { error: { message: `no such resource ${path}` } });
      const match = matches.find((x) => x.r.method === method);
      if (!match) {
        res.setHeader('allow', [...new Set(matches.map((x) => x.r.method))].join(', '));
        throw new HttpError(405, { error: { message: `${req.method} is not allowed on ${path}` } });
      }
      audit.route = match.r.pattern;
      const text = method === 'GET' || method === 'DELETE' ? '' : await readBody(req, settings.maxBodyBytes);
      let body: unknown = {};
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text);
        } catch (e) {
          throw new BadRequest('(body)', `not JSON: ${(e as Error).message}`);
        }
      }
      const params = match.m!.slice(1).map((p) => decodeURIComponent(p));
      audit.params = params;
      audit.body = body;
      const result = match.r.handle(opts.host, params, new Fields(body), url.searchParams);
      if (result === undefined && method === 'POST' && params.length === 2) throw new HttpError(404, { error: { message: `no session step ${params[1]}` } });
      audit.result = result;
      answer(200, result ?? null);
    } catch (e) {
      if (e instanceof ClientGone) {
        opts.log?.debug('admin request abandoned by the client', { method: req.method, path: (req.url ?? '/').split('?')[0], client, reason: e.message });
        return;
      }
      if (e instanceof HttpError) return answer(e.status, e.body);
      if (e instanceof BadRequest) return answer(400, { error: { field: e.field, message: e.message } });
      if (e instanceof StoreError) {
        return answer(e.hresult === VSS_E_OBJECT_NOT_FOUND ? 404 : 409, { error: { hresult: statusHex(e.hresult), ...nameOf(e.hresult), message: e.message } });
      }
      if (e instanceof URIError) return answer(400, { error: { field: '(path)', message: 'bad percent-encoding' } });
      opts.log?.error('admin request failed', { error: (e as Error).message });
      answer(500, { error: { message: 'internal error' } });
    }
  };
  const OUTCOMES: Record<number, string> = { 200: 'done', 400: 'bad request', 401: 'unauthenticated', 404: 'not found', 405: 'method not allowed', 409: 'refused', 413: 'too large', 500: 'failed' };
  const auditLine = (req: IncomingMessage, status: number, answer: unknown, a: { route?: string; params?: string[]; body?: unknown; result?: unknown }) => {
    const log = opts.log;
    if (!log) return;
    const error = status === 200 ? undefined : (answer as { error?: { hresult?: string; hresultName?: string; field?: string; message?: string } } | undefined)?.error;
    const fields = {
      audit: 'admin',
      method: req.method,
      path: (req.url ?? '/').split('?')[0],
      ...(a.route !== undefined ? { route: a.route } : {}),
      status,
      outcome: OUTCOMES[status] ?? String(status),
      client: req.socket.remoteAddress,
      ...(a.params !== undefined ? { change: auditChange(a.params, a.body) } : {}),
      ...(status === 200 ? { result: auditResult(a.result) } : {}),
      ...(error?.hresult !== undefined ? { hresult: error.hresult } : {}),
      ...(error?.hresultName !== undefined ? { hresultName: error.hresultName } : {}),
      ...(error?.field !== undefined ? { field: error.field } : {}),
      ...(error?.message !== undefined ? { reason: error.message } : {}),
    };
    if (status === 200) log.info('admin change', fields);
    else log.warn('admin request refused', fields);
  };
  const server: Server = createServer(
    {
      requestTimeout: settings.requestTimeoutMs,
      headersTimeout: Math.min(settings.headersTimeoutMs, settings.requestTimeoutMs),
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      // node:http enforces both timeouts only when it sweeps its connections (every 30 s by
      // default), which let a slow body live ~25 s past a 10 s limit; sweep often enough that
      // a limit is kept to within a quarter of the shorter one.
      connectionsCheckingInterval: Math.max(50, Math.floor(Math.min(settings.headersTimeoutMs, settings.requestTimeoutMs) / 4)),
    },
    (req, res) => void handle(req, res),
  );
  // No server.maxConnections: node would drop the newcomer, which is how a process without
  // the token locked the administrator out. The slots close the oldest stranger instead.
  server.on('connection', (socket: Socket) => slots.admit(socket));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A malformed request, a timeout, a reset: the client's doing, logged for debugging only.
    opts.log?.debug('admin connection closed', { client: socket.remoteAddress, reason: err.code ?? err.message });
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const inProgress = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code !== 'ECONNRESET' && socket.writable && !inProgress?.headersSent) {
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    }
    socket.destroySoon();
  });
  const listen = opts.listen ?? DEFAULT_ADMIN_LISTEN;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_ADMIN_PORT, listen, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    address: a.address,
    port: a.port,
    url: `http://${shown}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
