/** docs/conformance.md is the catalogue as it is: regenerate with `node scripts/conformance-doc.mjs`. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/conform/catalogue.js';
import { conformanceDoc } from '../../src/conform/doc.js';

describe('docs/conformance.md', () => {
  it('is up to date with the catalogue', () => {
    const file = readFileSync(new URL('../../docs/conformance.md', import.meta.url), 'utf8');
    expect(file).toBe(conformanceDoc());
  });

  it('lists every check with its section and its breaker', () => {
    const doc = conformanceDoc();
    for (const c of CATALOGUE) expect(doc).toMatch(new RegExp(`\\| \`${c.id.replace(/\./g, '\\.')}\` \\|.*\\| ${c.ref.spec} ${c.ref.section.replace(/\./g, '\\.')} \\|.*\\| (fault rule:|scmpd )`));
  });
});
