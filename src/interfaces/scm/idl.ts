import { method, rpcInterface } from '../../dcerpc/interface.js';
import { GUID, HRESULT, conformantArray, error_status_t, range, u16, u32, u64, unique, wstring } from '../../ndr/index.js';
import { COMVERSION, DUALSTRINGARRAY, MInterfacePointer, ORPCTHAT, ORPCTHIS } from '../../dcom/orpc.js';

/**
 * The activation interfaces on port 135 (MS-DCOM 3.1.2.5.2): native RPC interfaces whose
 * calls carry ORPCTHIS / ORPCTHAT as ordinary parameters and no object UUID.
 */
export const IRemoteSCMActivator = rpcInterface({
  name: 'IRemoteSCMActivator',
  uuid: '000001a0-0000-0000-c000-000000000046',
  version: [0, 0],
  methods: {
    RemoteGetClassObject: method(
      3,
      'RemoteGetClassObject',
      { ORPCthis: ORPCTHIS, pActProperties: unique(MInterfacePointer) },
      { ORPCthat: ORPCTHAT, ppActProperties: unique(MInterfacePointer), hr: HRESULT },
    ),
    RemoteCreateInstance: method(
      4,
      'RemoteCreateInstance',
      { ORPCthis: ORPCTHIS, pUnkOuter: unique(MInterfacePointer), pActProperties: unique(MInterfacePointer) },
      { ORPCthat: ORPCTHAT, ppActProperties: unique(MInterfacePointer), hr: HRESULT },
    ),
  },
});

export const IActivation = rpcInterface({
  name: 'IActivation',
  uuid: '4d9f4ab8-7d1c-11cf-861e-0020af6e7c57',
  version: [0, 0],
  methods: {
    RemoteActivation: method(
      0,
      'RemoteActivation',
      {
        ORPCthis: ORPCTHIS,
        Clsid: GUID,
        pwszObjectName: unique(wstring),
        pObjectStorage: unique(MInterfacePointer),
        ClientImpLevel: u32,
        Mode: u32,
        Interfaces: range(u32, 1, 0x8000),
        pIIDs: unique(conformantArray(GUID, { sizeIs: (s) => s.Interfaces })),
        cRequestedProtseqs: range(u16, 0, 0x8000),
        aRequestedProtseqs: conformantArray(u16, { sizeIs: (s) => s.cRequestedProtseqs }),
      },
      {
        ORPCthat: ORPCTHAT,
        pOxid: u64,
        ppdsaOxidBindings: unique(DUALSTRINGARRAY),
        pipidRemUnknown: GUID,
        pAuthnHint: u32,
        pServerVersion: COMVERSION,
        phr: HRESULT,
        ppInterfaceData: conformantArray(unique(MInterfacePointer), { sizeIs: (s) => s.Interfaces }),
        pResults: conformantArray(HRESULT, { sizeIs: (s) => s.Interfaces }),
        status: error_status_t,
      },
    ),
  },
});
