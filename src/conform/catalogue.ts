/**
 * The conformance catalogue: one declarative list of checks (id, requirement, spec and
 * section, what it needs, its probe, and the setting or fault that must make it fail).
 * docs/conformance.md is generated from it (scripts/conformance-doc.mjs).
 */
import { DATA_CHECKS } from './checks/data.js';
import { ENUMERATOR_CHECKS } from './checks/enumerators.js';
import { PROTOCOL_CHECKS } from './checks/protocol.js';
import { SCMP_METHOD_CHECKS } from './checks/scmp-methods.js';
import type { Check } from './types.js';

export const CATALOGUE: readonly Check[] = [...SCMP_METHOD_CHECKS, ...ENUMERATOR_CHECKS, ...DATA_CHECKS, ...PROTOCOL_CHECKS];

const seen = new Set<string>();
for (const c of CATALOGUE) {
  if (!/^[a-z0-9]+(\.[a-z0-9-]+)+$/.test(c.id)) throw new Error(`conformance check id ${c.id} is not area.subject.rule`);
  if (seen.has(c.id)) throw new Error(`conformance check id ${c.id} twice`);
  seen.add(c.id);
}

/** `--only`/`--skip` patterns: an id, or a glob where * is any run of characters. */
export function matches(id: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return re.test(id);
}

export function select(only: readonly string[], skip: readonly string[]): Check[] {
  return CATALOGUE.filter((c) => (only.length === 0 || only.some((p) => matches(c.id, p))) && !skip.some((p) => matches(c.id, p)));
}
