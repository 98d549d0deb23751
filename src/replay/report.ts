/**
 * A replay's report for people (text), for programs (--json: one document) and for CI
 * systems (--junit: JUnit XML, one test case per recorded call, grouped by conversation).
 */
import type { CallResult, ReplayReport, ReplaySummary } from './engine.js';

const WORD: Record<CallResult['outcome'], string> = { match: 'same', differ: 'DIFFERENT', skipped: 'skipped', failed: 'FAILED', 'not-replayed': 'not replayed' };

/** One call's lines: a header, then a line per difference. */
export function formatResult(r: CallResult): string {
  const lines = [`conn ${r.conversation} #${r.sequence} ${r.call}: ${WORD[r.outcome]}${r.ignored ? ` (${r.ignored} ignored)` : ''}`];
  if (r.reason) lines.push(`    ${r.reason}`);
  for (const d of r.differences) lines.push(`    ${d.path}: recorded ${d.recorded}, live ${d.live}`);
  if (r.dependsOn) lines.push(`    may depend on the skipped change${r.dependsOn.length === 1 ? '' : 's'} ${r.dependsOn.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function formatSummary(s: ReplaySummary): string {
  const parts = [`${s.matched} same`, `${s.differed} different`, `${s.skipped} skipped`, `${s.failed} failed`, `${s.notReplayed} not replayed`];
  return `${s.calls} call${s.calls === 1 ? '' : 's'} in ${s.conversations} connection${s.conversations === 1 ? '' : 's'}: ${parts.join(', ')}; ${s.differences} difference${s.differences === 1 ? '' : 's'}${s.ignored ? `, ${s.ignored} ignored` : ''}\n`;
}

export function reportJson(r: ReplayReport): string {
  return `${JSON.stringify({ summary: r.summary, fatal: r.fatal ?? null, calls: r.results })}\n`;
}

/** Text for an XML attribute or element; characters XML 1.0 cannot hold at all are written as \\uXXXX. */
const xml = (s: string) =>
  s
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** JUnit XML: a testsuite per recorded connection, a testcase per recorded call. */
export function reportJunit(r: ReplayReport, name: string): string {
  const byConv = new Map<number, CallResult[]>();
  for (const c of r.results) (byConv.get(c.conversation) ?? byConv.set(c.conversation, []).get(c.conversation)!).push(c);
  const count = (cs: CallResult[]) => ({
    tests: cs.length,
    failures: cs.filter((c) => c.outcome === 'differ').length,
    errors: cs.filter((c) => c.outcome === 'failed' || c.outcome === 'not-replayed').length,
    skipped: cs.filter((c) => c.outcome === 'skipped').length,
  });
  const attrs = (n: ReturnType<typeof count>) => `tests="${n.tests}" failures="${n.failures}" errors="${n.errors}" skipped="${n.skipped}"`;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${xml(`scmp replay ${name}`)}" ${attrs(count(r.results))}>`];
  for (const [conv, cs] of byConv) {
    out.push(`  <testsuite name="${xml(`conn ${conv}`)}" ${attrs(count(cs))}>`);
    for (const c of cs) {
      const open = `    <testcase classname="${xml(`conn ${conv}`)}" name="${xml(`#${c.sequence} ${c.call}`)}"`;
      const text = formatResult(c);
      if (c.outcome === 'match') out.push(`${open}/>`);
      else if (c.outcome === 'skipped') out.push(`${open}>`, `      <skipped message="${xml(c.reason ?? 'skipped')}"/>`, '    </testcase>');
      else if (c.outcome === 'differ') {
        const msg = `${c.differences.length} difference${c.differences.length === 1 ? '' : 's'}`;
        out.push(`${open}>`, `      <failure message="${xml(msg)}" type="difference">${xml(text)}</failure>`, '    </testcase>');
      } else out.push(`${open}>`, `      <error message="${xml(c.reason ?? c.outcome)}" type="${c.outcome}">${xml(text)}</error>`, '    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
