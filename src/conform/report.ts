/** The verdicts as text (one line each, then a summary), JSON, and JUnit XML. */
import type { Result } from './types.js';

const cite = (r: Result) => `${r.ref.spec} ${r.ref.section}`;

export function summary(rs: readonly Result[]) {
  return {
    total: rs.length,
    passed: rs.filter((r) => r.verdict === 'pass').length,
    failed: rs.filter((r) => r.verdict === 'fail').length,
    notApplicable: rs.filter((r) => r.verdict === 'not-applicable').length,
  };
}

export function formatText(rs: readonly Result[], host: string): string {
  const lines = rs.map((r) => {
    const head = `${r.verdict === 'pass' ? 'PASS' : r.verdict === 'fail' ? 'FAIL' : 'N/A '} ${r.id} [${cite(r)}]`;
    if (r.verdict === 'fail') return `${head}\n     ${r.requirement}\n     expected: ${r.expected}\n     got:      ${r.got}`;
    if (r.verdict === 'not-applicable') return `${head}: ${r.reason}`;
    return head;
  });
  const s = summary(rs);
  return `${lines.join('\n')}\n\n${host}: ${s.total} check${s.total === 1 ? '' : 's'}, ${s.passed} passed, ${s.failed} failed, ${s.notApplicable} not applicable\n`;
}

export function formatJson(rs: readonly Result[], host: string): string {
  return `${JSON.stringify({ host, summary: summary(rs), results: rs }, null, 2)}\n`;
}

const xml = (s: string) =>
  s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

/** JUnit's XML: one testsuite per area (the id's first word), a testcase per check. */
export function formatJunit(rs: readonly Result[], host: string): string {
  const areas = new Map<string, Result[]>();
  for (const r of rs) {
    const a = r.id.split('.')[0]!;
    areas.set(a, [...(areas.get(a) ?? []), r]);
  }
  const s = summary(rs);
  const out = [`<?xml version="1.0" encoding="UTF-8"?>`, `<testsuites name="scmp conform ${xml(host)}" tests="${s.total}" failures="${s.failed}" skipped="${s.notApplicable}" errors="0">`];
  for (const [area, list] of areas) {
    const t = summary(list);
    const time = (list.reduce((n, r) => n + r.ms, 0) / 1000).toFixed(3);
    out.push(`  <testsuite name="${xml(area)}" tests="${t.total}" failures="${t.failed}" skipped="${t.notApplicable}" errors="0" time="${time}">`);
    for (const r of list) {
      const open = `    <testcase classname="${xml(`conform.${area}`)}" name="${xml(r.id)}" time="${(r.ms / 1000).toFixed(3)}">`;
      const props = `      <properties><property name="spec" value="${xml(cite(r))}"/><property name="requirement" value="${xml(r.requirement)}"/></properties>`;
      if (r.verdict === 'pass') out.push(open, props, '    </testcase>');
      else if (r.verdict === 'fail') out.push(open, props, `      <failure message="${xml(`expected ${r.expected}, got ${r.got}`)}">${xml(`${r.requirement} [${cite(r)}]\nexpected: ${r.expected}\ngot: ${r.got}`)}</failure>`, '    </testcase>');
      else out.push(open, props, `      <skipped message="${xml(r.reason ?? '')}"/>`, '    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
