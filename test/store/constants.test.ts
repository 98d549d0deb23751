/**
 * The store declares its VSS values itself, so as not to import the interface layer above
 * it; they must stay equal to the wire declarations in src/interfaces/scmp/types.ts. Its
 * HRESULTs are src/status's, which types.ts must declare no differently.
 */
import { expect, test } from 'vitest';
import * as wire from '../../src/interfaces/scmp/types.js';
import { GUID_NULL as NDR_GUID_NULL } from '../../src/ndr/guid.js';
import * as status from '../../src/status/codes.js';
import * as vss from '../../src/store/vss.js';

test('every HRESULT types.ts declares under a status name is the status table\'s', () => {
  const shared = Object.entries(status).filter(([name]) => name in wire);
  expect(shared.map(([name]) => name)).toEqual(expect.arrayContaining(['S_OK', 'E_INVALIDARG', 'E_OUTOFMEMORY', 'VSS_E_OBJECT_NOT_FOUND', 'VSS_E_PROVIDER_VETO']));
  for (const [name, value] of shared) expect([name, value]).toEqual([name, (wire as Record<string, unknown>)[name]]);
});

test('every VSS value the store shares with types.ts is equal to it', () => {
  const shared = Object.entries(vss).filter(([name]) => name in wire);
  expect(shared.map(([name]) => name).sort()).toEqual(
    [
      'VSS_CONTEXT_ATTRIBUTE_MASK',
      'VSS_CTX_ALL',
      'VSS_CTX_APP_ROLLBACK',
      'VSS_CTX_BACKUP',
      'VSS_CTX_CLIENT_ACCESSIBLE',
      'VSS_CTX_CLIENT_ACCESSIBLE_WRITERS',
      'VSS_CTX_FILE_SHARE_BACKUP',
      'VSS_CTX_NAS_ROLLBACK',
      'VSS_SS_CREATED',
      'VSS_SYSTEM_PROVIDER_ID',
      'VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE',
      'VSS_VOLSNAP_ATTR_NO_AUTORECOVERY',
      'VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE',
      'VSS_VOLSNAP_ATTR_NO_WRITERS',
      'VSS_VOLSNAP_ATTR_PERSISTENT',
    ].sort(),
  );
  for (const [name, value] of shared) expect([name, value]).toEqual([name, (wire as Record<string, unknown>)[name]]);
  expect(vss.GUID_NULL).toBe(NDR_GUID_NULL);
});
