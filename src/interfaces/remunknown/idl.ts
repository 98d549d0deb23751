import { GUID, HRESULT, conformantArray, u16, u32, unique } from '../../ndr/index.js';
import { dcomInterface, orpcMethod } from '../../dcom/interface.js';
import { MInterfacePointer, REMINTERFACEREF, REMQIRESULT } from '../../dcom/orpc.js';
import { IID_IRemUnknown, IID_IRemUnknown2 } from '../../dcom/exporter.js';

/** IRemUnknown and IRemUnknown2 (MS-DCOM 3.1.1.5.6, 3.1.1.5.7). */
const remQueryInterface = orpcMethod(
  3,
  'RemQueryInterface',
  { ripid: GUID, cRefs: u32, cIids: u16, iids: conformantArray(GUID, { sizeIs: (s) => s.cIids }) },
  { ppQIResults: unique(conformantArray(REMQIRESULT, { sizeIs: (s) => s.cIids })), hr: HRESULT },
);
const remAddRef = orpcMethod(
  4,
  'RemAddRef',
  { cInterfaceRefs: u16, InterfaceRefs: conformantArray(REMINTERFACEREF, { sizeIs: (s) => s.cInterfaceRefs }) },
  { pResults: conformantArray(HRESULT, { sizeIs: (s) => s.cInterfaceRefs }), hr: HRESULT },
);
const remRelease = orpcMethod(
  5,
  'RemRelease',
  { cInterfaceRefs: u16, InterfaceRefs: conformantArray(REMINTERFACEREF, { sizeIs: (s) => s.cInterfaceRefs }) },
  { hr: HRESULT },
);

export const IRemUnknown = dcomInterface({
  name: 'IRemUnknown',
  iid: IID_IRemUnknown,
  methods: { RemQueryInterface: remQueryInterface, RemAddRef: remAddRef, RemRelease: remRelease },
});

export const IRemUnknown2 = dcomInterface({
  name: 'IRemUnknown2',
  iid: IID_IRemUnknown2,
  methods: {
    RemQueryInterface: remQueryInterface,
    RemAddRef: remAddRef,
    RemRelease: remRelease,
    RemQueryInterface2: orpcMethod(
      6,
      'RemQueryInterface2',
      { ripid: GUID, cIids: u16, iids: conformantArray(GUID, { sizeIs: (s) => s.cIids }) },
      {
        phr: conformantArray(HRESULT, { sizeIs: (s) => s.cIids }),
        ppMIF: conformantArray(unique(MInterfacePointer), { sizeIs: (s) => s.cIids }),
        hr: HRESULT,
      },
    ),
  },
});
