import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalGuid, guidBytes, isCanonicalGuid, isGuid, parseGuid, readGuid } from '../../src/ndr/guid.js';

const G = 'b5946137-7b9f-4925-af80-51abd60b20d5';

describe('the one Guid: canonical lower case at every boundary', () => {
  it('readGuid (NDR) answers lower case whatever the bytes and byte order', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (bytes, le) => {
        const g = readGuid(Buffer.from(bytes), 0, le);
        expect(isCanonicalGuid(g)).toBe(true);
        expect(guidBytes(readGuid(Buffer.from(bytes), 0)).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('canonicalGuid (text) folds case and takes braces, as the registry and VSS XML write GUIDs', () => {
    expect(canonicalGuid(G.toUpperCase())).toBe(G);
    expect(canonicalGuid(`{${G.toUpperCase()}}`)).toBe(G);
    expect(canonicalGuid(G)).toBe(G);
    for (const bad of ['', `{${G}`, `${G}}`, G.slice(1), `${G}0`, G.replace(/-/g, ''), ` ${G}`, G.replace('b', 'g'), `{{${G}}}`]) expect([bad, canonicalGuid(bad)]).toEqual([bad, undefined]);
  });

  it('parseGuid is canonicalGuid that throws, naming the text', () => {
    expect(parseGuid(`{${G.toUpperCase()}}`)).toBe(G);
    expect(() => parseGuid('not-a-guid')).toThrow(/not a GUID: not-a-guid/);
  });

  it('isCanonicalGuid is lower case only; isGuid (what writeGuid takes) is any case', () => {
    expect([isCanonicalGuid(G), isCanonicalGuid(G.toUpperCase()), isGuid(G.toUpperCase()), isGuid(`{${G}}`)]).toEqual([true, false, true, false]);
  });

  it('any casing of a GUID becomes the same Guid', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.array(fc.boolean(), { minLength: 36, maxLength: 36 }), (u, upper) => {
        const mixed = [...u].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join('');
        expect(canonicalGuid(mixed)).toBe(u.toLowerCase());
      }),
    );
  });
});
