import { method, rpcInterface } from '../../dcerpc/interface.js';
import { GUID, conformantArray, error_status_t, u16, u32, u64, unique } from '../../ndr/index.js';
import { COMVERSION, DUALSTRINGARRAY } from '../../dcom/orpc.js';

/**
 * IObjectExporter (MS-DCOM 3.1.2.5.1), the OXID resolver on port 135: a native RPC
 * interface (no ORPCTHIS), v0.0. `[out, ref] DUALSTRINGARRAY**` is a ref pointer to a
 * unique pointer: a referent id, then the conformant structure.
 */
export const IObjectExporter = rpcInterface({
  name: 'IObjectExporter',
  uuid: '99fcfec4-5260-101b-bbcb-00aa0021347a',
  version: [0, 0],
  methods: {
    ResolveOxid: method(
      0,
      'ResolveOxid',
      { pOxid: u64, cRequestedProtseqs: u16, arRequestedProtseqs: conformantArray(u16, { sizeIs: (s) => s.cRequestedProtseqs }) },
      { ppdsaOxidBindings: unique(DUALSTRINGARRAY), pipidRemUnknown: GUID, pAuthnHint: u32, status: error_status_t },
    ),
    SimplePing: method(1, 'SimplePing', { pSetId: u64 }, { status: error_status_t }),
    ComplexPing: method(
      2,
      'ComplexPing',
      {
        pSetId: u64,
        SequenceNum: u16,
        cAddToSet: u16,
        cDelFromSet: u16,
        AddToSet: unique(conformantArray(u64, { sizeIs: (s) => s.cAddToSet })),
        DelFromSet: unique(conformantArray(u64, { sizeIs: (s) => s.cDelFromSet })),
      },
      { pSetId: u64, pPingBackoffFactor: u16, status: error_status_t },
    ),
    ServerAlive: method(3, 'ServerAlive', {}, { status: error_status_t }),
    ResolveOxid2: method(
      4,
      'ResolveOxid2',
      { pOxid: u64, cRequestedProtseqs: u16, arRequestedProtseqs: conformantArray(u16, { sizeIs: (s) => s.cRequestedProtseqs }) },
      { ppdsaOxidBindings: unique(DUALSTRINGARRAY), pipidRemUnknown: GUID, pAuthnHint: u32, pComVersion: COMVERSION, status: error_status_t },
    ),
    ServerAlive2: method(
      5,
      'ServerAlive2',
      {},
      { pComVersion: COMVERSION, ppdsaOrBindings: unique(DUALSTRINGARRAY), pReserved: u32, status: error_status_t },
    ),
  },
});
