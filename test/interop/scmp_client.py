"""impacket declarations of MS-SCMP's four interfaces (from the IDL of MS-SCMP section 6),
shared by the interop scripts. configure(port) points impacket's SCM connection at scmpd.

impacket's own dcom/scmp.py is not used: it marshals VSS_PWSZ without its pointer and reads
Next's result as one element. HRESULTs are read from the response (checkError=False), so
S_FALSE and the error rows are recorded as numbers.
"""
import json
import sys
import traceback
from threading import current_thread

from impacket.dcerpc.v5 import dcomrt, transport
from impacket.dcerpc.v5.dcomrt import DCOMCALL, DCOMANSWER, DCOMConnection, INTERFACE, PMInterfacePointer
from impacket.dcerpc.v5.dtypes import GUID, HRESULT, LONG, LONGLONG, LPWSTR, NULL, ULONG
from impacket.dcerpc.v5.ndr import NDRSTRUCT, NDRUNION, NDRUniConformantVaryingArray
from impacket.dcerpc.v5.rpcrt import DCERPCException
from impacket.uuid import bin_to_string, string_to_bin, uuidtup_to_bin

port = 135


def configure(p):
    global port
    port = p

AUTH_LEVEL = 6  # RPC_C_AUTHN_LEVEL_PKT_PRIVACY

CLSID_ShadowCopyProvider = string_to_bin('0B5A2C52-3EB9-470A-96E2-6C6D4570E40F')
# As dce.bind wants them (uuid + version).
IID_IVssSnapshotMgmt = uuidtup_to_bin(('FA7DF749-66E7-4986-A27F-E2F04AE53772', '0.0'))
IID_IVssDifferentialSoftwareSnapshotMgmt = uuidtup_to_bin(('214A0F28-B737-4026-B847-4F9E37D79529', '0.0'))
IID_IVssEnumObject = uuidtup_to_bin(('AE1C7110-2F60-11D3-8A39-00C04F72D8E3', '0.0'))
IID_IVssEnumMgmtObject = uuidtup_to_bin(('01954E6B-9254-4E6E-808C-C9E05D007696', '0.0'))
SYSTEM_PROVIDER = 'b5946137-7b9f-4925-af80-51abd60b20d5'
UNKNOWN_PROVIDER = '12345678-1234-1234-1234-123456789abc'
GUID_NULL = '00000000-0000-0000-0000-000000000000'
MiB = 1024 * 1024

# ---- MS-SCMP 2.2 data types ------------------------------------------------------------

VSS_ID = GUID
VSS_PWSZ = LPWSTR  # typedef [unique, string] WCHAR* VSS_PWSZ
VSS_TIMESTAMP = LONGLONG
# Every enum is [v1_enum]: 32 bits.
VSS_OBJECT_TYPE = ULONG
VSS_MGMT_OBJECT_TYPE = ULONG
VSS_SNAPSHOT_STATE = ULONG
VSS_PROVIDER_TYPE = ULONG


class VSS_SNAPSHOT_PROP(NDRSTRUCT):
    structure = (
        ('m_SnapshotId', VSS_ID),
        ('m_SnapshotSetId', VSS_ID),
        ('m_lSnapshotsCount', LONG),
        ('m_pwszSnapshotDeviceObject', VSS_PWSZ),
        ('m_pwszOriginalVolumeName', VSS_PWSZ),
        ('m_pwszOriginatingMachine', VSS_PWSZ),
        ('m_pwszServiceMachine', VSS_PWSZ),
        ('m_pwszExposedName', VSS_PWSZ),
        ('m_pwszExposedPath', VSS_PWSZ),
        ('m_ProviderId', VSS_ID),
        ('m_lSnapshotAttributes', LONG),
        ('m_tsCreationTimestamp', VSS_TIMESTAMP),
        ('m_eStatus', VSS_SNAPSHOT_STATE),
    )


class VSS_PROVIDER_PROP(NDRSTRUCT):
    structure = (
        ('m_ProviderId', VSS_ID),
        ('m_pwszProviderName', VSS_PWSZ),
        ('m_eProviderType', VSS_PROVIDER_TYPE),
        ('m_pwszProviderVersion', VSS_PWSZ),
        ('m_ProviderVersionId', VSS_ID),
        ('m_ClassId', GUID),
    )


class VSS_OBJECT_UNION(NDRUNION):
    # [switch_type(VSS_OBJECT_TYPE)]: the discriminant is a 32-bit enum.
    commonHdr = (('tag', ULONG),)
    union = {
        3: ('Snap', VSS_SNAPSHOT_PROP),  # VSS_OBJECT_SNAPSHOT
        4: ('Prov', VSS_PROVIDER_PROP),  # VSS_OBJECT_PROVIDER
        'default': None,
    }


class VSS_OBJECT_PROP(NDRSTRUCT):
    structure = (
        ('Type', VSS_OBJECT_TYPE),
        ('Obj', VSS_OBJECT_UNION),
    )

    # NDR: a structure aligns to its most-aligned member; the union's arms hold a
    # LONGLONG, which impacket's union (aligned on its tag alone in NDR20) does not see.
    def getAlignment(self):
        return 8


class VSS_VOLUME_PROP(NDRSTRUCT):
    structure = (
        ('m_pwszVolumeName', VSS_PWSZ),
        ('m_pwszVolumeDisplayName', VSS_PWSZ),
    )


class VSS_DIFF_VOLUME_PROP(NDRSTRUCT):
    structure = (
        ('m_pwszVolumeName', VSS_PWSZ),
        ('m_pwszVolumeDisplayName', VSS_PWSZ),
        ('m_llVolumeFreeSpace', LONGLONG),
        ('m_llVolumeTotalSpace', LONGLONG),
    )


class VSS_DIFF_AREA_PROP(NDRSTRUCT):
    structure = (
        ('m_pwszVolumeName', VSS_PWSZ),
        ('m_pwszDiffAreaVolumeName', VSS_PWSZ),
        ('m_llMaximumDiffSpace', LONGLONG),
        ('m_llAllocatedDiffSpace', LONGLONG),
        ('m_llUsedDiffSpace', LONGLONG),
    )


class VSS_MGMT_OBJECT_UNION(NDRUNION):
    commonHdr = (('tag', ULONG),)
    union = {
        1: ('Vol', VSS_VOLUME_PROP),  # VSS_MGMT_OBJECT_VOLUME
        2: ('DiffVol', VSS_DIFF_VOLUME_PROP),  # VSS_MGMT_OBJECT_DIFF_VOLUME
        3: ('DiffArea', VSS_DIFF_AREA_PROP),  # VSS_MGMT_OBJECT_DIFF_AREA
        'default': None,
    }


class VSS_MGMT_OBJECT_PROP(NDRSTRUCT):
    structure = (
        ('Type', VSS_MGMT_OBJECT_TYPE),
        ('Obj', VSS_MGMT_OBJECT_UNION),
    )

    def getAlignment(self):
        return 8


class VSS_OBJECT_PROP_ARRAY(NDRUniConformantVaryingArray):
    item = VSS_OBJECT_PROP


class VSS_MGMT_OBJECT_PROP_ARRAY(NDRUniConformantVaryingArray):
    item = VSS_MGMT_OBJECT_PROP


# ---- MS-SCMP 3.1.1 IVssSnapshotMgmt ---------------------------------------------------

class GetProviderMgmtInterface(DCOMCALL):
    opnum = 3
    structure = (('ProviderId', VSS_ID), ('InterfaceId', GUID))  # REFIID: [ref], the GUID alone


class GetProviderMgmtInterfaceResponse(DCOMANSWER):
    structure = (('ppItf', PMInterfacePointer), ('ErrorCode', HRESULT))


class QueryVolumesSupportedForSnapshots(DCOMCALL):
    opnum = 4
    structure = (('ProviderId', VSS_ID), ('lContext', LONG))


class QueryVolumesSupportedForSnapshotsResponse(DCOMANSWER):
    structure = (('ppEnum', PMInterfacePointer), ('ErrorCode', HRESULT))


class QuerySnapshotsByVolume(DCOMCALL):
    opnum = 5
    structure = (('pwszVolumeName', VSS_PWSZ), ('ProviderId', VSS_ID))


class QuerySnapshotsByVolumeResponse(DCOMANSWER):
    structure = (('ppEnum', PMInterfacePointer), ('ErrorCode', HRESULT))


# ---- MS-SCMP 3.1.2 / 3.1.3 the enumerators ----------------------------------------------

class EnumObject_Next(DCOMCALL):
    opnum = 3
    structure = (('celt', ULONG),)


class EnumObject_NextResponse(DCOMANSWER):
    structure = (('rgelt', VSS_OBJECT_PROP_ARRAY), ('pceltFetched', ULONG), ('ErrorCode', HRESULT))


class EnumMgmtObject_Next(DCOMCALL):
    opnum = 3
    structure = (('celt', ULONG),)


class EnumMgmtObject_NextResponse(DCOMANSWER):
    structure = (('rgelt', VSS_MGMT_OBJECT_PROP_ARRAY), ('pceltFetched', ULONG), ('ErrorCode', HRESULT))


class Enum_Skip(DCOMCALL):
    opnum = 4
    structure = (('celt', ULONG),)


class Enum_SkipResponse(DCOMANSWER):
    structure = (('ErrorCode', HRESULT),)


class Enum_Reset(DCOMCALL):
    opnum = 5
    structure = ()


class Enum_ResetResponse(DCOMANSWER):
    structure = (('ErrorCode', HRESULT),)


class Enum_Clone(DCOMCALL):
    opnum = 6
    structure = (('ppenum', PMInterfacePointer),)  # [in, out]: sent null


class Enum_CloneResponse(DCOMANSWER):
    structure = (('ppenum', PMInterfacePointer), ('ErrorCode', HRESULT))


# ---- MS-SCMP 3.1.4 IVssDifferentialSoftwareSnapshotMgmt ----------------------------------

class AddDiffArea(DCOMCALL):
    opnum = 3
    structure = (('pwszVolumeName', VSS_PWSZ), ('pwszDiffAreaVolumeName', VSS_PWSZ), ('llMaximumDiffSpace', LONGLONG))


class AddDiffAreaResponse(DCOMANSWER):
    structure = (('ErrorCode', HRESULT),)


class ChangeDiffAreaMaximumSize(DCOMCALL):
    opnum = 4
    structure = (('pwszVolumeName', VSS_PWSZ), ('pwszDiffAreaVolumeName', VSS_PWSZ), ('llMaximumDiffSpace', LONGLONG))


class ChangeDiffAreaMaximumSizeResponse(DCOMANSWER):
    structure = (('ErrorCode', HRESULT),)


class QueryVolumesSupportedForDiffAreas(DCOMCALL):
    opnum = 5
    structure = (('pwszOriginalVolumeName', VSS_PWSZ),)


class QueryVolumesSupportedForDiffAreasResponse(DCOMANSWER):
    structure = (('ppEnum', PMInterfacePointer), ('ErrorCode', HRESULT))


class QueryDiffAreasForVolume(DCOMCALL):
    opnum = 6
    structure = (('pwszVolumeName', VSS_PWSZ),)


class QueryDiffAreasForVolumeResponse(DCOMANSWER):
    structure = (('ppEnum', PMInterfacePointer), ('ErrorCode', HRESULT))


class QueryDiffAreasOnVolume(DCOMCALL):
    opnum = 7
    structure = (('pwszVolumeName', VSS_PWSZ),)


class QueryDiffAreasOnVolumeResponse(DCOMANSWER):
    structure = (('ppEnum', PMInterfacePointer), ('ErrorCode', HRESULT))


# ---- plumbing ---------------------------------------------------------------------------

# impacket dials port 135 for the SCM; point it at our port. The exporter binding carries its own.
orig_factory = transport.DCERPCTransportFactory


def factory(binding):
    if '[' not in binding:
        binding = '%s[%d]' % (binding, port)
    return orig_factory(binding)


dcomrt.transport.DCERPCTransportFactory = factory


class Iface(INTERFACE):
    """An interface pointer of one MS-SCMP interface; calls return the response, whatever its HRESULT."""

    def __init__(self, interface, iid):
        INTERFACE.__init__(self, interfaceInstance=interface)
        self._iid = iid

    # dcomrt's INTERFACE.connect alters the context at every change of interface, and each
    # alter_context starts a new NTLM context (a new auth_context_id); the server keeps at
    # most 8 per connection. So each interface gets one presentation context, and one
    # security context, on the exporter's connection, and calls switch between them. New
    # contexts are altered from the newest one (impacket numbers a new context as its
    # source's + 1), and all contexts share the connection's call_id sequence.
    contexts = {}
    newest = None

    def connect(self, iid=None):
        slot = INTERFACE.CONNECTIONS[self.get_target()][current_thread().name].get(self.get_oxid())
        if slot is not None:
            callid = max(d._DCERPC_v5__callid for d in Iface.contexts.values())
            if iid in Iface.contexts:
                slot['dce'] = Iface.contexts[iid]
                slot['currentBinding'] = iid
                slot['dce']._DCERPC_v5__callid = callid
                return
            slot['dce'] = Iface.newest
            slot['dce']._DCERPC_v5__callid = callid
            slot['currentBinding'] = None
        INTERFACE.connect(self, iid)
        Iface.contexts[iid] = Iface.newest = self.get_dce_rpc()

    def call(self, req):
        # dcomrt's INTERFACE.request, but reading the HRESULT ourselves (S_FALSE is not an error).
        req['ORPCthis'] = self.get_cinstance().get_ORPCthis()
        req['ORPCthis']['flags'] = 0
        self.connect(self._iid)
        out['calls'] = out.get('calls', 0) + 1
        return self.get_dce_rpc().request(req, self.get_iPid(), checkError=False)

    def returned(self, resp, name, iid):
        """The interface a method returned (a unique MInterfacePointer), as dcomrt's classes make it."""
        if is_null(resp.fields[name]):
            return None
        return Iface(INTERFACE(self.get_cinstance(), b''.join(resp[name]['abData']), self.get_ipidRemUnknown(),
                               oxid=self.get_oxid(), target=self.get_target()), iid)


def is_null(p):
    """A unique pointer as impacket unpacked it: null when its referent id is 0."""
    return p.fields.get('ReferentID', 0) == 0


def wstr(p):
    """A VSS_PWSZ: None for the null pointer, else the string without its terminator."""
    if is_null(p):
        return None
    return p['Data'].rstrip('\x00')


def pwsz(s):
    return NULL if s is None else s + '\x00'


def guid(g):
    return bin_to_string(g.getData() if hasattr(g, 'getData') else g).lower()


def hr(resp):
    return resp['ErrorCode'] & 0xffffffff


def mgmt_object(o):
    t = o['Type']
    u = o.fields['Obj']
    d = {'Type': t, 'tag': u['tag']}
    if t == 1:
        v = u.fields['Vol']
        d.update(name=wstr(v.fields['m_pwszVolumeName']), display=wstr(v.fields['m_pwszVolumeDisplayName']))
    elif t == 2:
        v = u.fields['DiffVol']
        d.update(name=wstr(v.fields['m_pwszVolumeName']), display=wstr(v.fields['m_pwszVolumeDisplayName']),
                 free=str(v['m_llVolumeFreeSpace']), total=str(v['m_llVolumeTotalSpace']))
    elif t == 3:
        v = u.fields['DiffArea']
        d.update(volume=wstr(v.fields['m_pwszVolumeName']), diffAreaVolume=wstr(v.fields['m_pwszDiffAreaVolumeName']),
                 maximum=str(v['m_llMaximumDiffSpace']), allocated=str(v['m_llAllocatedDiffSpace']),
                 used=str(v['m_llUsedDiffSpace']))
    return d


def snapshot_object(o):
    t = o['Type']
    u = o.fields['Obj']
    d = {'Type': t, 'tag': u['tag']}
    if t == 3:
        s = u.fields['Snap']
        d.update(
            id=guid(s.fields['m_SnapshotId']),
            setId=guid(s.fields['m_SnapshotSetId']),
            count=s['m_lSnapshotsCount'],
            device=wstr(s.fields['m_pwszSnapshotDeviceObject']),
            originalVolume=wstr(s.fields['m_pwszOriginalVolumeName']),
            originatingMachine=wstr(s.fields['m_pwszOriginatingMachine']),
            serviceMachine=wstr(s.fields['m_pwszServiceMachine']),
            exposedName=wstr(s.fields['m_pwszExposedName']),
            exposedPath=wstr(s.fields['m_pwszExposedPath']),
            providerId=guid(s.fields['m_ProviderId']),
            attributes=s['m_lSnapshotAttributes'],
            created=str(s['m_tsCreationTimestamp']),
            status=s['m_eStatus'],
        )
    return d


def next_(e, celt):
    """Next on either enumerator: {hr, fetched, max_count, items}."""
    if e._iid == IID_IVssEnumObject:
        req, conv = EnumObject_Next(), snapshot_object
    else:
        req, conv = EnumMgmtObject_Next(), mgmt_object
    req['celt'] = celt
    r = e.call(req)
    arr = r.fields['rgelt']
    return {'hr': hr(r), 'fetched': r['pceltFetched'], 'max_count': arr.fields.get('MaximumCount'),
            'items': [conv(x) for x in r['rgelt']]}


def skip(e, celt):
    req = Enum_Skip()
    req['celt'] = celt
    return hr(e.call(req))


def reset(e):
    return hr(e.call(Enum_Reset()))


def clone(e):
    req = Enum_Clone()
    req['ppenum'] = NULL
    r = e.call(req)
    return hr(r), e.returned(r, 'ppenum', e._iid)


def drain(e, batch=64):
    items = []
    while True:
        n = next_(e, batch)
        items += n['items']
        if n['hr'] != 0:
            return items


out = {}


def step(name, fn):
    try:
        out[name] = fn()
    except Exception as e:
        out[name] = 'error: %s' % e
        out.setdefault('tracebacks', {})[name] = traceback.format_exc()


