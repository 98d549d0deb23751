/**
 * docs/conformance.md, written from the catalogue (scripts/conformance-doc.mjs writes it;
 * test/conform/doc.test.ts fails when the file and the catalogue differ).
 */
import { formatStatus } from '../status/index.js';
import { CATALOGUE } from './catalogue.js';
import type { Breaker, Check } from './types.js';

const AREAS: Record<string, string> = {
  scmp: 'MS-SCMP methods: parameter validation and error tables',
  enum: 'Enumerators: Next, Skip, Reset, Clone',
  data: 'Structure data rules',
  auth: 'Authorization, authentication levels, NTLM and SPNEGO',
  dcom: 'DCOM activation and reference counting',
  rpc: 'The RPC runtime: interfaces, opnums, stub data, fragmentation',
};

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function describeBreaker(b: Breaker): string {
  const rule = (f: NonNullable<Extract<Breaker, { fault: unknown }>['fault']>) => {
    const a = f.action;
    const what = 'hresult' in a ? `answers ${formatStatus(a.hresult)}` : 'fault' in a ? `faults ${formatStatus(a.fault)}` : 'drops the connection';
    return `fault rule: ${f.opnum !== undefined ? `${f.interface} opnum ${f.opnum}` : `${f.interface}::${f.method}`} ${what}`;
  };
  if ('hostModel' in b) return `scmpd with the default host's data wrong: ${b.hostModel}`;
  if ('server' in b) return `scmpd ${b.server.join(' ')} (${b.note})${b.fault ? `; ${rule(b.fault)}` : ''}`;
  return rule(b.fault);
}

export function conformanceDoc(checks: readonly Check[] = CATALOGUE): string {
  const out: string[] = [
    '# Conformance checks',
    '',
    '<!-- Generated from src/conform/catalogue.ts by `node scripts/conformance-doc.mjs`: do not edit by hand. -->',
    '',
    '`scmp conform TARGET` runs these checks against an MS-SCMP host (a Windows server, a NAS',
    'that serves MS-SCMP, or scmpd) and gives each a verdict: pass, fail (what was expected',
    'and what came) or not applicable. Checks marked *changes* run only with `--allow-changes`',
    'and put back what they changed; *user-account* needs `--user-account` (an account that is',
    'not an administrator of the host). The last column is the scripted fault or server setting',
    'under which scmpd must fail the check: test/conform/pairing.test.ts runs every one, so no',
    'check passes whatever the server does.',
    '',
    `${checks.length} checks.`,
    '',
  ];
  for (const [area, title] of Object.entries(AREAS)) {
    const list = checks.filter((c) => c.id.split('.')[0] === area);
    if (list.length === 0) continue;
    out.push(`## ${title} (${list.length})`, '', '| id | requirement | spec | needs | fails under |', '|---|---|---|---|---|');
    for (const c of list) out.push(`| \`${c.id}\` | ${cell(c.requirement)} | ${c.ref.spec} ${c.ref.section} | ${c.needs.join(', ') || 'read-only'} | ${cell(describeBreaker(c.breaker))} |`);
    out.push('');
  }
  return out.join('\n');
}
