/**
 * `scmp admin …`: the admin API of a running scmpd from a shell. Listings print in
 * vssadmin's layout (src/cli/vssadmin-format.ts), or as JSON with --json; changes say what
 * happened, as vssadmin does. Global options may stand anywhere on the line. Exit codes
 * (src/cli/exit-codes.ts) tell usage errors, refusals, bad tokens, unknown objects and an
 * unreachable server apart.
 */
import { readFileSync } from 'node:fs';
import { AdminClient, type AdminAnswer, type AdminError } from '../admin/client.js';
import { dateFromFiletime } from '../store/filetime.js';
import { EXIT } from './exit-codes.js';
import { parseSize, SizeError } from './sizes.js';
import {
  formatProviders,
  formatShadows,
  formatShadowStorage,
  formatVolumes,
  formatWriters,
  providersJson,
  shadowsJson,
  shadowStorageJson,
  toJson,
  volumesJson,
  writersJson,
  type ProviderRecord,
  type ShadowRecord,
  type StorageRecord,
  type VolumeRecord,
  type WriterRecord,
} from './vssadmin-format.js';

export const ADMIN_USAGE = `Usage: scmp admin COMMAND [OPTIONS] [--url URL] [--token TOKEN | --token-file FILE] [--json]

The admin API of a running scmpd (default URL http://127.0.0.1:8135, or $SCMP_ADMIN_URL;
the token from --token, --token-file, $SCMP_ADMIN_TOKEN, or $SCMP_ADMIN_TOKEN_FILE).
--url, --token, --token-file and --json may stand anywhere on the line. Listings print as
vssadmin prints them; --json prints them for machines (byte counts as JSON numbers).

Commands (vssadmin's /for=X form is accepted for --for X, and so on):
  list volumes                            volumes that take shadow copies
  list providers
  list writers
  list shadows [--for VOLUME]
  list shadowstorage [--for VOLUME] [--on VOLUME]
  create shadow --for VOLUME [--context N]
  delete shadows --all [--for VOLUME]     without --for: every client-accessible copy
  delete shadows --for VOLUME --oldest
  delete shadows --shadow ID
  add shadowstorage --for VOLUME --on VOLUME --maxsize SIZE
  resize shadowstorage --for VOLUME --on VOLUME --maxsize SIZE
  delete shadowstorage --for VOLUME [--on VOLUME]
  host                                    the whole host as JSON
  session open | list | show ID | release ID
  session step ID STEP [JSON]             STEP: initialize-for-backup, set-context,
                                          set-backup-state, gather-writer-metadata,
                                          add-component, start-snapshot-set,
                                          add-to-snapshot-set, prepare-for-backup,
                                          do-snapshot-set, backup-complete, abort-backup, …
  document list | get NAME | put NAME FILE | delete NAME
  reboot                                  a simulated reboot
  fault add INTERFACE.METHOD ACTION [--arg NAME=VALUE]… [--count N]
            [--probability P [--seed S]]  a scripted fault: ACTION is one of
                                          --hresult STATUS, --fault STATUS,
                                          --delay MS, --drop, --hang;
                                          INTERFACE.OPNUM (a number) matches
                                          by opnum, before the runtime's own
                                          checks (no --arg, no --hresult)
  fault list
  fault clear [ID]                        every rule, or rule ID

SIZE: bytes, or a number with KB, MB, GB, TB, PB or EB (1024-based, any case, 1.5GB too),
a percentage of the storage volume (20%), or UNBOUNDED.

Exit codes:
  0  done
  1  the host refused (the HRESULT it would return is printed)
  2  usage error (unknown command or option, bad size, missing value)
  3  the admin token was not accepted
  5  not found (no such volume, shadow copy, storage association, session, …)
  6  the admin API could not be reached
`;

export class CliUsageError extends Error {}

/** What a listing prints: vssadmin's text, or the JSON for --json. */
export interface Rendered {
  text: string;
  json: unknown;
}

export interface AdminRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  /** Whether the command needs the whole host (GET /api/host) to print its answer. */
  needsHost?: boolean;
  /** How to print a successful answer; without it, the answer is printed as JSON. */
  render?: (answer: any, host: HostAnswer | undefined) => Rendered;
}

/** GET /api/host as the admin API sends it (src/admin/views.ts). */
export interface HostAnswer {
  volumes: Array<{ mountName: string; mountPoints: string[]; totalBytes: string; snapshotContexts: number[] }>;
  providers: ProviderRecord[];
  writers: WriterRecord[];
  diffAreas: StorageView[];
  snapshots: SnapshotView[];
}
interface SnapshotView {
  id: string;
  setId: string;
  countInSet: number;
  volume: string;
  deviceObject: string;
  originatingMachine: string;
  serviceMachine: string;
  creationTime: string;
  attributes: number;
  providerId: string;
}
interface StorageView {
  volume: string;
  diffAreaVolume: string;
  maximumBytes: string;
  usedBytes: string;
  allocatedBytes: string;
}

const volumeRecords = (h: HostAnswer): VolumeRecord[] => h.volumes.map((v) => ({ mountName: v.mountName, mountPoints: v.mountPoints, totalBytes: BigInt(v.totalBytes) }));
const shadowRecord = (s: SnapshotView): ShadowRecord => ({
  id: s.id,
  setId: s.setId,
  countInSet: s.countInSet,
  creationTime: dateFromFiletime(BigInt(s.creationTime)),
  originalVolume: s.volume,
  deviceObject: s.deviceObject,
  originatingMachine: s.originatingMachine,
  serviceMachine: s.serviceMachine,
  providerId: s.providerId,
  attributes: s.attributes,
});
const storageRecord = (d: StorageView): StorageRecord => ({
  volume: d.volume,
  diffAreaVolume: d.diffAreaVolume,
  usedBytes: BigInt(d.usedBytes),
  allocatedBytes: BigInt(d.allocatedBytes),
  maximumBytes: BigInt(d.maximumBytes),
});

interface Global {
  url: string;
  token: string | undefined;
  tokenFile: string | undefined;
  json: boolean;
  help: boolean;
  rest: string[];
}

/** Splits `--flag value`, `--flag=value` and vssadmin's `/flag=value` into a map. */
function options(argv: string[], flags: string[], switches: string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^(?:--|\/)([a-z]+)(?:=(.*))?$/i.exec(a);
    if (!m) throw new CliUsageError(`unexpected argument ${a}`);
    const name = m[1]!.toLowerCase();
    if (switches.includes(name)) {
      if (m[2] !== undefined) throw new CliUsageError(`--${name} takes no value`);
      out.set(name, 'true');
      continue;
    }
    if (!flags.includes(name)) throw new CliUsageError(`unknown option ${a}`);
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new CliUsageError(`--${name} needs a value`);
    out.set(name, v);
  }
  return out;
}

function need(o: Map<string, string>, name: string): string {
  const v = o.get(name);
  if (v === undefined) throw new CliUsageError(`--${name} is required`);
  return v;
}

/** /MaxSize as the admin API takes it: bytes, -1 (UNBOUNDED), or `N%` resolved by the server. */
function maxSize(v: string): string {
  try {
    const spec = parseSize(v);
    return spec.kind === 'unbounded' ? '-1' : spec.kind === 'percent' ? `${spec.percent}%` : spec.bytes.toString();
  } catch (e) {
    if (e instanceof SizeError) throw new CliUsageError(`--maxsize: ${e.message}`);
    throw e;
  }
}

const query = (o: Map<string, string>, names: string[]) => {
  const q = new URLSearchParams();
  for (const n of names) if (o.has(n)) q.set(n, o.get(n)!);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
};

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

/** The request a command line stands for (without sending it): tests call this directly. */
export function requestFor(words: string[]): AdminRequest {
  const [a, b, ...rest] = words;
  const key = `${a ?? ''} ${b ?? ''}`.trim();
  switch (key) {
    case 'list volumes':
    case 'list providers':
    case 'list writers': {
      options(rest, []);
      return {
        method: 'GET',
        path: '/api/host',
        render: (h: HostAnswer) => {
          if (b === 'volumes') {
            // vssadmin lists the volumes eligible for shadow copies.
            const eligible = volumeRecords(h).filter((_v, i) => h.volumes[i]!.snapshotContexts.length > 0);
            return { text: formatVolumes(eligible), json: volumesJson(eligible) };
          }
          if (b === 'providers') return { text: formatProviders(h.providers), json: providersJson(h.providers) };
          return { text: formatWriters(h.writers), json: writersJson(h.writers) };
        },
      };
    }
    case 'list shadows': {
      const o = options(rest, ['for']);
      return {
        method: 'GET',
        path: `/api/shadows${query(o, ['for'])}`,
        needsHost: true,
        render: (copies: SnapshotView[], h) => {
          const records = copies.map(shadowRecord);
          const volumes = volumeRecords(h!);
          return { text: formatShadows(records, volumes, h!.providers), json: shadowsJson(records, volumes, h!.providers) };
        },
      };
    }
    case 'list shadowstorage': {
      const o = options(rest, ['for', 'on']);
      return {
        method: 'GET',
        path: `/api/shadowstorage${query(o, ['for', 'on'])}`,
        needsHost: true,
        render: (areas: StorageView[], h) => {
          const records = areas.map(storageRecord);
          const volumes = volumeRecords(h!);
          return { text: formatShadowStorage(records, volumes), json: shadowStorageJson(records, volumes) };
        },
      };
    }
    case 'create shadow': {
      const o = options(rest, ['for', 'context', 'autoretry']);
      const volume = need(o, 'for');
      return {
        method: 'POST',
        path: '/api/shadows',
        body: { for: volume, ...(o.has('context') ? { context: Number(o.get('context')) } : {}) },
        render: (x: { id: string; deviceObject: string }) => ({
          text: `Successfully created shadow copy for '${volume.endsWith('\\') ? volume : `${volume}\\`}'\n    Shadow Copy ID: {${x.id}}\n    Shadow Copy Volume Name: ${x.deviceObject}\n`,
          json: x,
        }),
      };
    }
    case 'delete shadows': {
      const o = options(rest, ['for', 'shadow'], ['all', 'oldest', 'quiet']);
      const chosen = ['all', 'oldest', 'shadow'].filter((n) => o.has(n));
      if (chosen.length > 1) throw new CliUsageError(`give one of --all, --oldest, --shadow (not ${chosen.map((n) => `--${n}`).join(' and ')})`);
      if (chosen.length === 0) throw new CliUsageError('give one of --all, --oldest (with --for), --shadow ID');
      if (o.has('oldest') && !o.has('for')) throw new CliUsageError('--oldest needs --for VOLUME');
      const body: Record<string, unknown> = {};
      if (o.has('for')) body.for = o.get('for');
      if (o.has('shadow')) body.shadow = o.get('shadow');
      else if (o.has('oldest')) body.oldest = true;
      else body.all = true;
      return {
        method: 'POST',
        path: '/api/shadows/delete',
        body,
        render: (r: { deleted: unknown[] }) => ({ text: `Successfully deleted ${r.deleted.length} shadow copies.\n`, json: r }),
      };
    }
    case 'add shadowstorage':
    case 'resize shadowstorage': {
      const o = options(rest, ['for', 'on', 'maxsize']);
      const add = a === 'add';
      return {
        method: 'POST',
        path: add ? '/api/shadowstorage' : '/api/shadowstorage/resize',
        body: { for: need(o, 'for'), on: need(o, 'on'), maxSize: maxSize(need(o, 'maxsize')) },
        render: (r: { deleted?: unknown[] }) => {
          const gone = r.deleted?.length ?? 0;
          const more = gone > 0 ? `${gone} ${plural(gone, 'shadow copy was', 'shadow copies were')} deleted to fit the new maximum size.\n` : '';
          return { text: `Successfully ${add ? 'added' : 'resized'} the shadow copy storage association\n${more}`, json: r };
        },
      };
    }
    case 'delete shadowstorage': {
      const o = options(rest, ['for', 'on'], ['quiet']);
      return {
        method: 'POST',
        path: '/api/shadowstorage/delete',
        body: { for: need(o, 'for'), ...(o.has('on') ? { on: o.get('on') } : {}) },
        render: (r: { associations: unknown[]; deleted: unknown[] }) => {
          const n = r.associations.length;
          const head = n === 1 ? 'Successfully deleted the shadow copy storage association\n' : `Successfully deleted the ${n} shadow copy storage associations\n`;
          const gone = r.deleted.length;
          const more = gone > 0 ? `${gone} ${plural(gone, 'shadow copy', 'shadow copies')} stored there ${plural(gone, 'was', 'were')} deleted with it.\n` : '';
          return { text: head + more, json: r };
        },
      };
    }
  }
  switch (a) {
    case 'fault':
      return faultRequest(b, rest);
    case 'host':
      if (words.length !== 1) throw new CliUsageError('host takes no arguments');
      return { method: 'GET', path: '/api/host' };
    case 'reboot':
      if (words.length !== 1) throw new CliUsageError('reboot takes no arguments');
      return { method: 'POST', path: '/api/reboot', body: {} };
    case 'session': {
      const id = rest[0];
      if (b === 'open' && rest.length === 0) return { method: 'POST', path: '/api/sessions', body: {} };
      if (b === 'list' && rest.length === 0) return { method: 'GET', path: '/api/sessions' };
      if (b === 'show' && id && rest.length === 1) return { method: 'GET', path: `/api/sessions/${encodeURIComponent(id)}` };
      if (b === 'release' && id && rest.length === 1) return { method: 'DELETE', path: `/api/sessions/${encodeURIComponent(id)}` };
      if (b === 'step' && id && rest[1] && rest.length <= 3) {
        let body: unknown = {};
        if (rest[2] !== undefined) {
          try {
            body = JSON.parse(rest[2]);
          } catch (e) {
            throw new CliUsageError(`the step's body is not JSON: ${(e as Error).message}`);
          }
        }
        return { method: 'POST', path: `/api/sessions/${encodeURIComponent(id)}/${encodeURIComponent(rest[1])}`, body };
      }
      throw new CliUsageError('session open | list | show ID | release ID | step ID STEP [JSON]');
    }
    case 'document': {
      const name = rest[0];
      if (b === 'list' && rest.length === 0) return { method: 'GET', path: '/api/documents' };
      if (b === 'get' && name && rest.length === 1) return { method: 'GET', path: `/api/documents/${encodeURIComponent(name)}` };
      if (b === 'delete' && name && rest.length === 1) return { method: 'DELETE', path: `/api/documents/${encodeURIComponent(name)}` };
      if (b === 'put' && name && rest.length === 2) return { method: 'PUT', path: `/api/documents/${encodeURIComponent(name)}`, body: { xml: readFileSync(rest[1]!, 'utf8') } };
      throw new CliUsageError('document list | get NAME | put NAME FILE | delete NAME');
    }
  }
  throw new CliUsageError(`unknown command: ${words.join(' ') || '(none)'}`);
}

/** GET/POST/DELETE /api/faults as the admin API sends a rule (src/admin/views.ts faultView). */
interface FaultView {
  id: number;
  interface: string;
  method?: string;
  opnum?: number;
  args?: Record<string, string | number>;
  action: string;
  status?: string;
  ms?: number;
  count?: number;
  probability?: number;
  seed?: number;
  fired: number;
  spent?: boolean;
}

/** One rule in vssadmin's indented layout. */
function formatFault(r: FaultView): string {
  const action =
    r.action === 'hresult' ? `return ${r.status}` : r.action === 'fault' ? `fault ${r.status}` : r.action === 'delay' ? `delay ${r.ms} ms, then answer` : r.action === 'drop' ? 'drop the connection' : 'leave the call unanswered';
  const lines = [`Fault rule ID: ${r.id}`, `   Call: ${r.opnum !== undefined ? `${r.interface} opnum ${r.opnum}` : `${r.interface}.${r.method}`}`];
  if (r.args && Object.keys(r.args).length) lines.push(`   Arguments: ${Object.entries(r.args).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  lines.push(`   Action: ${action}`);
  if (r.count !== undefined) lines.push(`   Limit: the next ${r.count} matching ${plural(r.count, 'call', 'calls')}${r.spent ? ' (spent)' : ''}`);
  if (r.probability !== undefined) lines.push(`   Probability: ${r.probability} (seed ${r.seed})`);
  lines.push(`   Fired: ${r.fired} ${plural(r.fired, 'time', 'times')}`);
  return `${lines.join('\n')}\n`;
}

const FAULT_ACTION_FLAGS = ['hresult', 'fault', 'delay', 'drop', 'hang'];

/** `fault add|list|clear`: the rule built from flags; the server checks every field (400 names the bad one). */
function faultRequest(verb: string | undefined, rest: string[]): AdminRequest {
  if (verb === 'list') {
    options(rest, []);
    return { method: 'GET', path: '/api/faults', render: (rules: FaultView[]) => ({ text: rules.length ? rules.map(formatFault).join('\n') : 'No items found that satisfy the query.\n', json: rules }) };
  }
  if (verb === 'clear') {
    if (rest.length > 1) throw new CliUsageError('fault clear [ID]');
    const id = rest[0];
    if (id !== undefined) return { method: 'DELETE', path: `/api/faults/${encodeURIComponent(id)}`, render: (r: { id: number }) => ({ text: `Successfully deleted fault rule ${r.id}.\n`, json: r }) };
    return { method: 'DELETE', path: '/api/faults', render: (r: { cleared: number }) => ({ text: `Successfully deleted ${r.cleared} fault ${plural(r.cleared, 'rule', 'rules')}.\n`, json: r }) };
  }
  if (verb !== 'add') throw new CliUsageError('fault add INTERFACE.METHOD ACTION … | list | clear [ID]');
  const [call, ...flags] = rest;
  const m = call === undefined ? null : /^([^.]+)\.([^.]+)$/.exec(call);
  if (!m) throw new CliUsageError('fault add needs INTERFACE.METHOD first (IVssSnapshotMgmt.QuerySnapshotsByVolume)');
  const args: Record<string, string> = {};
  const others: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    if (f === '--arg' || f.startsWith('--arg=')) {
      const v = f === '--arg' ? flags[++i] : f.slice(6);
      const kv = v === undefined ? null : /^([^=]+)=(.*)$/.exec(v);
      if (!kv) throw new CliUsageError('--arg needs NAME=VALUE');
      args[kv[1]!] = kv[2]!;
    } else others.push(f);
  }
  const o = options(others, ['hresult', 'fault', 'delay', 'count', 'probability', 'seed'], ['drop', 'hang']);
  const chosen = FAULT_ACTION_FLAGS.filter((n) => o.has(n));
  if (chosen.length !== 1) throw new CliUsageError(`give one action: ${FAULT_ACTION_FLAGS.map((n) => `--${n}`).join(', ')}`);
  const action = chosen[0]!;
  const number = (name: string) => {
    const v = o.get(name)!;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new CliUsageError(`--${name}: expected a number, not ${v}`);
    return n;
  };
  // A number after the dot is an opnum (no IDL name starts with a digit).
  const body: Record<string, unknown> = /^\d+$/.test(m[2]!) ? { interface: m[1], opnum: Number(m[2]), action } : { interface: m[1], method: m[2], action };
  if (Object.keys(args).length) body.args = args;
  if (action === 'hresult' || action === 'fault') body.status = /^\d+$/.test(o.get(action)!) ? Number(o.get(action)) : o.get(action);
  if (action === 'delay') body.ms = number('delay');
  if (o.has('count')) body.count = number('count');
  if (o.has('probability')) body.probability = number('probability');
  if (o.has('seed')) body.seed = number('seed');
  return { method: 'POST', path: '/api/faults', body, render: (r: FaultView) => ({ text: `Successfully added fault rule ${r.id}.\n${formatFault(r)}`, json: r }) };
}

/** Takes the global options out wherever they stand (`--` ends them); the rest is the command. */
function globals(argv: string[], env: NodeJS.ProcessEnv): Global {
  const g: Global = { url: env.SCMP_ADMIN_URL ?? 'http://127.0.0.1:8135', token: env.SCMP_ADMIN_TOKEN, tokenFile: env.SCMP_ADMIN_TOKEN_FILE, json: false, help: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      g.rest.push(...argv.slice(i + 1));
      break;
    }
    const m = /^--(url|token|token-file)(?:=(.*))?$/.exec(a);
    if (a === '--json') g.json = true;
    else if (a === '--help' || a === '-h') g.help = true;
    else if (m) {
      const v = m[2] ?? argv[++i];
      if (v === undefined) throw new CliUsageError(`--${m[1]} needs a value`);
      if (m[1] === 'url') g.url = v;
      else if (m[1] === 'token') g.token = v;
      else g.tokenFile = v;
    } else g.rest.push(a);
  }
  return g;
}

/** The admin API's refusal as one line, and the exit code its status stands for. */
function refusal(answer: AdminAnswer): { line: string; code: number } {
  const e = typeof answer.body === 'object' && answer.body !== null ? (answer.body as { error?: AdminError }).error : undefined;
  const message = e?.message ?? String(answer.body);
  const hresult = e?.hresult ? ` [${e.hresultName ? `${e.hresultName} ` : ''}${e.hresult}]` : '';
  switch (answer.status) {
    case 401:
      return { line: `the admin token was not accepted (${answer.status}): ${message}`, code: EXIT.AUTHENTICATION };
    case 403:
      return { line: `access denied (${answer.status}): ${message}`, code: EXIT.ACCESS_DENIED };
    case 404:
      return { line: `not found: ${message}${hresult}`, code: EXIT.NOT_FOUND };
    case 400:
      // The message names its field already (FieldError's form); older answers may not.
      return { line: `the server did not take the request: ${e?.field && !message.startsWith(`${e.field}: `) ? `${e.field}: ` : ''}${message}`, code: EXIT.USAGE };
    default:
      return { line: `refused (${answer.status}): ${message}${hresult}`, code: EXIT.REFUSED };
  }
}

class Unreachable extends Error {}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, out = process.stdout, err = process.stderr): Promise<number> {
  if (argv.length === 0 || ((argv[0] === '-h' || argv[0] === '--help') && argv.length === 1)) {
    (argv.length === 0 ? err : out).write(ADMIN_USAGE);
    return argv.length === 0 ? EXIT.USAGE : EXIT.OK;
  }
  if (argv[0] !== 'admin') {
    err.write(`scmp: unknown command ${argv[0]}\n\n${ADMIN_USAGE}`);
    return EXIT.USAGE;
  }
  let g: Global;
  let req: AdminRequest;
  try {
    g = globals(argv.slice(1), env);
    if (g.help) {
      out.write(ADMIN_USAGE);
      return EXIT.OK;
    }
    req = requestFor(g.rest);
  } catch (e) {
    if (e instanceof CliUsageError || (e as NodeJS.ErrnoException).code) {
      err.write(`scmp admin: ${(e as Error).message} (scmp admin --help lists the commands)\n`);
      return EXIT.USAGE;
    }
    throw e;
  }
  let token = g.token;
  if (token === undefined && g.tokenFile !== undefined) {
    try {
      token = readFileSync(g.tokenFile, 'utf8').trim();
    } catch (e) {
      err.write(`scmp admin: --token-file ${g.tokenFile}: ${(e as Error).message}\n`);
      return EXIT.USAGE;
    }
  }
  const client = new AdminClient(g.url, token || undefined);
  const send = async (method: string, path: string, body?: unknown) => {
    try {
      return await client.request(method, path, body);
    } catch (e) {
      throw new Unreachable(`cannot reach the admin API at ${g.url}: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`);
    }
  };
  try {
    const host = req.needsHost ? await send('GET', '/api/host') : undefined;
    if (host && host.status !== 200) {
      const r = refusal(host);
      err.write(`scmp admin: ${r.line}\n`);
      return r.code;
    }
    const answer = await send(req.method, req.path, req.body);
    if (answer.status !== 200) {
      const r = refusal(answer);
      err.write(`scmp admin: ${r.line}\n`);
      return r.code;
    }
    if (!req.render) {
      out.write(`${JSON.stringify(answer.body, null, 2)}\n`);
      return EXIT.OK;
    }
    const shown = req.render(answer.body, host?.body as HostAnswer | undefined);
    out.write(g.json ? toJson(shown.json) : shown.text);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof Unreachable) {
      err.write(`scmp admin: ${e.message}\n`);
      return EXIT.CONNECTION;
    }
    throw e;
  }
}
