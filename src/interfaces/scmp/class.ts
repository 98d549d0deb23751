import type { ComClass } from '../../dcom/classes.js';
import { IID_IVssSnapshotMgmt } from './types.js';

/** MS-SCMP's class and its first interface (MS-SCMP 1.9). */
export const CLSID_ShadowCopyProvider = '0b5a2c52-3eb9-470a-96e2-6c6d4570e40f';
export { IID_IVssSnapshotMgmt };

/**
 * The shadow-copy management object: it answers IUnknown and IVssSnapshotMgmt, whose
 * methods (src/interfaces/scmp/server.ts) work over the host's store.
 */
export const ShadowCopyProviderClass: ComClass = {
  clsid: CLSID_ShadowCopyProvider,
  name: 'Microsoft Software Shadow Copy provider management',
  create: () => ({ clsid: CLSID_ShadowCopyProvider, supports: (iid) => iid === IID_IVssSnapshotMgmt }),
};
