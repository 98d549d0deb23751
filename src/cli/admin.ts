/**
 * `scmp admin …`: the admin HTTP API from a shell. Every command is one request; the
 * answer is printed as JSON (create/delete shadows also as vssadmin prints them).
 */
import { readFileSync } from 'node:fs';
import { AdminClient, type AdminAnswer, type AdminError } from '../admin/client.js';

export const ADMIN_USAGE = `Usage: scmp admin [--url URL] [--token TOKEN | --token-file FILE] [--json] COMMAND

The admin API of a running scmpd (default URL http://127.0.0.1:8135, or $SCMP_ADMIN_URL;
the token from --token, --token-file, $SCMP_ADMIN_TOKEN, or $SCMP_ADMIN_TOKEN_FILE).

Commands (vssadmin's /for=X form is accepted for --for X, and so on):
  host                                    the whole host: volumes, writers, shadow copies, …
  list shadows [--for VOLUME]
  create shadow --for VOLUME [--context N]
  delete shadows [--for VOLUME] [--all | --oldest | --shadow ID]
  list shadowstorage
  add shadowstorage --for VOLUME --on VOLUME --maxsize BYTES|UNBOUNDED
  resize shadowstorage --for VOLUME --on VOLUME --maxsize BYTES|UNBOUNDED
  delete shadowstorage --for VOLUME --on VOLUME
  session open | list | show ID | release ID
  session step ID STEP [JSON]             STEP: initialize-for-backup, set-context,
                                          set-backup-state, gather-writer-metadata,
                                          add-component, start-snapshot-set,
                                          add-to-snapshot-set, prepare-for-backup,
                                          do-snapshot-set, backup-complete, abort-backup, …
  document list | get NAME | put NAME FILE | delete NAME
  reboot                                  a simulated reboot
`;

export class CliUsageError extends Error {}

export interface AdminRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  /** How to print a successful answer beside the JSON. */
  render?: (answer: unknown) => string;
}

interface Global {
  url: string;
  token: string | undefined;
  tokenFile: string | undefined;
  json: boolean;
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

const maxSize = (v: string) => (/^unbounded$/i.test(v) ? '-1' : v);

/** The request a command line stands for (without sending it): tests call this directly. */
export function requestFor(words: string[]): AdminRequest {
  const [a, b, ...rest] = words;
  const key = `${a ?? ''} ${b ?? ''}`.trim();
  switch (key) {
    case 'list shadows': {
      const o = options(rest, ['for']);
      return { method: 'GET', path: `/api/shadows${o.has('for') ? `?for=${encodeURIComponent(o.get('for')!)}` : ''}` };
    }
    case 'create shadow': {
      const o = options(rest, ['for', 'context', 'autoretry']);
      const volume = need(o, 'for');
      return {
        method: 'POST',
        path: '/api/shadows',
        body: { for: volume, ...(o.has('context') ? { context: Number(o.get('context')) } : {}) },
        render: (s) => {
          const x = s as { id: string; deviceObject: string };
          return `Successfully created shadow copy for '${volume.endsWith('\\') ? volume : `${volume}\\`}'\n    Shadow Copy ID: {${x.id}}\n    Shadow Copy Volume Name: ${x.deviceObject}\n`;
        },
      };
    }
    case 'delete shadows': {
      const o = options(rest, ['for', 'shadow'], ['all', 'oldest', 'quiet']);
      const body: Record<string, unknown> = {};
      if (o.has('for')) body.for = o.get('for');
      if (o.has('shadow')) body.shadow = o.get('shadow');
      else if (o.has('oldest')) body.oldest = true;
      else body.all = true;
      return { method: 'POST', path: '/api/shadows/delete', body, render: (r) => `Successfully deleted ${(r as { deleted: unknown[] }).deleted.length} shadow copies.\n` };
    }
    case 'list shadowstorage':
      return { method: 'GET', path: '/api/shadowstorage' };
    case 'add shadowstorage':
    case 'resize shadowstorage': {
      const o = options(rest, ['for', 'on', 'maxsize']);
      return { method: 'POST', path: a === 'add' ? '/api/shadowstorage' : '/api/shadowstorage/resize', body: { for: need(o, 'for'), on: need(o, 'on'), maxSize: maxSize(need(o, 'maxsize')) } };
    }
    case 'delete shadowstorage': {
      const o = options(rest, ['for', 'on']);
      return { method: 'POST', path: '/api/shadowstorage/delete', body: { for: need(o, 'for'), on: need(o, 'on') } };
    }
  }
  switch (a) {
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

function globals(argv: string[], env: NodeJS.ProcessEnv): Global {
  const g: Global = { url: env.SCMP_ADMIN_URL ?? 'http://127.0.0.1:8135', token: env.SCMP_ADMIN_TOKEN, tokenFile: env.SCMP_ADMIN_TOKEN_FILE, json: false, rest: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(url|token|token-file)(?:=(.*))?$/.exec(a);
    if (a === '--json') g.json = true;
    else if (m) {
      const v = m[2] ?? argv[++i];
      if (v === undefined) throw new CliUsageError(`--${m[1]} needs a value`);
      if (m[1] === 'url') g.url = v;
      else if (m[1] === 'token') g.token = v;
      else g.tokenFile = v;
    } else break;
  }
  g.rest = argv.slice(i);
  return g;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, out = process.stdout, err = process.stderr): Promise<number> {
  if (argv[0] === '-h' || argv[0] === '--help' || argv.length === 0 || (argv[0] === 'admin' && (argv[1] === '-h' || argv[1] === '--help'))) {
    (argv.length === 0 ? err : out).write(ADMIN_USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] !== 'admin') {
    err.write(`scmp: unknown command ${argv[0]}\n\n${ADMIN_USAGE}`);
    return 2;
  }
  let g: Global;
  let req: AdminRequest;
  try {
    g = globals(argv.slice(1), env);
    req = requestFor(g.rest);
  } catch (e) {
    if (e instanceof CliUsageError || (e as NodeJS.ErrnoException).code) {
      err.write(`scmp admin: ${(e as Error).message} (scmp admin --help lists the commands)\n`);
      return 2;
    }
    throw e;
  }
  let token = g.token;
  if (token === undefined && g.tokenFile !== undefined) {
    try {
      token = readFileSync(g.tokenFile, 'utf8').trim();
    } catch (e) {
      err.write(`scmp admin: --token-file ${g.tokenFile}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  let answer: AdminAnswer;
  try {
    answer = await new AdminClient(g.url, token || undefined).request(req.method, req.path, req.body);
  } catch (e) {
    err.write(`scmp admin: cannot reach ${g.url}: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}\n`);
    return 1;
  }
  if (answer.status !== 200) {
    const e = (answer.body as { error?: AdminError }).error;
    err.write(`scmp admin: ${answer.status} ${e?.hresult ? `${e.hresult} ${e.hresultName ? `${e.hresultName} ` : ''}` : ''}${e?.message ?? String(answer.body)}\n`);
    return 1;
  }
  out.write(req.render && !g.json ? req.render(answer.body) : `${JSON.stringify(answer.body, null, 2)}\n`);
  return 0;
}

