"""impacket as an MS-SCMP client of scmpd: every method of the four interfaces, at packet privacy.

Run as: /usr/bin/python3 impacket_scmp.py HOST PORT USER PASSWORD [PLAIN_USER PLAIN_PASSWORD]
Prints one JSON object; the vitest side asserts on it.

impacket's own dcom/scmp.py is not used: it marshals VSS_PWSZ without its pointer and reads
Next's result as one element. The requests and responses below are declared from the IDL
of MS-SCMP section 6 with impacket's NDR classes. HRESULTs are read from the response
(checkError=False), so S_FALSE and the error rows are recorded as numbers.
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

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
plain_user = sys.argv[5] if len(sys.argv) > 5 else None
plain_password = sys.argv[6] if len(sys.argv) > 6 else None
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


dcom = DCOMConnection(host, user, password, '', '', '', authLevel=AUTH_LEVEL, oxidResolver=False)
mgmt = Iface(dcom.CoCreateInstanceEx(CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt), IID_IVssSnapshotMgmt)
out['activated'] = True


# ---- IVssSnapshotMgmt::QueryVolumesSupportedForSnapshots + IVssEnumMgmtObject ------------

def query_volumes(provider, context=0):
    req = QueryVolumesSupportedForSnapshots()
    req['ProviderId'] = string_to_bin(provider)
    req['lContext'] = context
    r = mgmt.call(req)
    return hr(r), mgmt.returned(r, 'ppEnum', IID_IVssEnumMgmtObject)


def volumes_enum():
    res = {}
    code, e = query_volumes(SYSTEM_PROVIDER)
    res['hr'] = code
    res['next1'] = next_(e, 1)
    res['next3'] = next_(e, 3)
    res['next_past_end'] = next_(e, 5)
    res['skip_past_end'] = skip(e, 10)
    res['reset'] = reset(e)
    res['next0'] = next_(e, 0)
    res['all_after_reset'] = next_(e, 10)
    res['reset2'] = reset(e)
    res['skip1'] = skip(e, 1)
    res['after_skip1'] = next_(e, 1)
    # Clone at position 2: both continue from there, independently.
    code, c = clone(e)
    res['clone_hr'] = code
    res['clone_is_new_object'] = c is not None and c.get_iPid() != e.get_iPid()
    res['clone_next5'] = next_(c, 5)
    res['orig_next1_after_clone'] = next_(e, 1)
    res['clone_reset'] = reset(c)
    res['clone_next1_after_reset'] = next_(c, 1)
    res['orig_next5'] = next_(e, 5)
    return res


step('volumes', volumes_enum)
step('volumes_guid_null', lambda: query_volumes(GUID_NULL)[0])
step('volumes_unknown_provider', lambda: query_volumes(UNKNOWN_PROVIDER)[0])
step('volumes_ctx_all', lambda: (lambda r: (r[0], len(drain(r[1]))))(query_volumes(SYSTEM_PROVIDER, -1)))


# ---- IVssSnapshotMgmt::QuerySnapshotsByVolume + IVssEnumObject ---------------------------

def query_snapshots(volume, provider=SYSTEM_PROVIDER):
    req = QuerySnapshotsByVolume()
    req['pwszVolumeName'] = pwsz(volume)
    req['ProviderId'] = string_to_bin(provider)
    r = mgmt.call(req)
    return hr(r), mgmt.returned(r, 'ppEnum', IID_IVssEnumObject), not is_null(r.fields['ppEnum'])


def snapshots_enum():
    res = {}
    code, e, _ = query_snapshots('D:\\')
    res['hr'] = code
    res['all'] = next_(e, 64)
    res['reset'] = reset(e)
    res['next2'] = next_(e, 2)
    res['skip1'] = skip(e, 1)
    code, c = clone(e)
    res['clone_hr'] = code
    res['clone_next64'] = next_(c, 64)
    res['orig_next1'] = next_(e, 1)
    res['skip_past_end'] = skip(e, 5)
    res['orig_next1_at_end'] = next_(e, 1)
    res['next0'] = next_(e, 0)
    return res


step('snapshots', snapshots_enum)
step('snapshots_C', lambda: (lambda r: [s['id'] for s in drain(r[1])])(query_snapshots('C:\\')))
step('snapshots_null_volume', lambda: query_snapshots(None)[::2])
step('snapshots_guid_null', lambda: query_snapshots('D:\\', GUID_NULL)[::2])
step('snapshots_unknown_provider', lambda: query_snapshots('D:\\', UNKNOWN_PROVIDER)[::2])
step('snapshots_unknown_volume', lambda: query_snapshots('Z:\\')[::2])


# ---- IVssSnapshotMgmt::GetProviderMgmtInterface -----------------------------------------

def get_provider_mgmt(provider, iid_string):
    req = GetProviderMgmtInterface()
    req['ProviderId'] = string_to_bin(provider)
    req['InterfaceId'] = string_to_bin(iid_string)
    r = mgmt.call(req)
    return hr(r), mgmt.returned(r, 'ppItf', IID_IVssDifferentialSoftwareSnapshotMgmt), not is_null(r.fields['ppItf'])


step('gpmi_other_iid', lambda: get_provider_mgmt(SYSTEM_PROVIDER, 'AE1C7110-2F60-11D3-8A39-00C04F72D8E3')[::2])
step('gpmi_unknown_provider', lambda: get_provider_mgmt(UNKNOWN_PROVIDER, '214A0F28-B737-4026-B847-4F9E37D79529')[::2])
step('gpmi_guid_null', lambda: get_provider_mgmt(GUID_NULL, '214A0F28-B737-4026-B847-4F9E37D79529')[::2])


# ---- IVssDifferentialSoftwareSnapshotMgmt ------------------------------------------------

def diff_session():
    res = {}
    code, d, _ = get_provider_mgmt(SYSTEM_PROVIDER, '214A0F28-B737-4026-B847-4F9E37D79529')
    res['gpmi'] = code
    res['gpmi_ipid'] = d is not None

    def query(cls, name, volume):
        req = cls()
        req[name] = pwsz(volume)
        r = d.call(req)
        e = d.returned(r, 'ppEnum', IID_IVssEnumMgmtObject)
        return {'hr': hr(r), 'items': drain(e) if e is not None else None}

    def add(volume, storage, maximum):
        req = AddDiffArea()
        req['pwszVolumeName'] = pwsz(volume)
        req['pwszDiffAreaVolumeName'] = pwsz(storage)
        req['llMaximumDiffSpace'] = maximum
        return hr(d.call(req))

    def change(volume, storage, maximum):
        req = ChangeDiffAreaMaximumSize()
        req['pwszVolumeName'] = pwsz(volume)
        req['pwszDiffAreaVolumeName'] = pwsz(storage)
        req['llMaximumDiffSpace'] = maximum
        return hr(d.call(req))

    for_ = lambda v: query(QueryDiffAreasForVolume, 'pwszVolumeName', v)
    on = lambda v: query(QueryDiffAreasOnVolume, 'pwszVolumeName', v)
    res['supported_for_E'] = query(QueryVolumesSupportedForDiffAreas, 'pwszOriginalVolumeName', 'E:\\')
    res['supported_for_F'] = query(QueryVolumesSupportedForDiffAreas, 'pwszOriginalVolumeName', 'F:\\')
    res['for_D_before'] = for_('D:\\')
    res['on_archive_before'] = on('C:\\mnt\\archive\\')
    res['for_E_before'] = for_('E:\\')
    res['add_too_small'] = add('E:\\', 'D:\\', 100 * MiB)
    res['add'] = add('E:\\', 'D:\\', 512 * MiB)
    res['add_again'] = add('E:\\', 'D:\\', 512 * MiB)
    res['add_on_refs'] = add('D:\\', 'E:\\', 512 * MiB)
    res['add_null'] = add(None, 'D:\\', 512 * MiB)
    res['for_E'] = for_('E:\\')
    res['on_D'] = on('D:\\')
    res['change_1g'] = change('E:\\', 'D:\\', 1024 * MiB)
    res['for_E_1g'] = for_('E:\\')
    res['change_no_limit'] = change('E:\\', 'D:\\', -1)
    res['change_delete'] = change('E:\\', 'D:\\', 0)
    res['change_delete_again'] = change('E:\\', 'D:\\', 0)
    res['for_E_after'] = for_('E:\\')
    res['on_D_after'] = on('D:\\')
    res['unknown_volume'] = {
        'add': add('Z:\\', 'D:\\', 512 * MiB),
        'change': change('Z:\\', 'D:\\', 1024 * MiB),
        'supported': query(QueryVolumesSupportedForDiffAreas, 'pwszOriginalVolumeName', 'Z:\\')['hr'],
        'for': for_('Z:\\')['hr'],
        'on': on('Z:\\')['hr'],
    }
    res['null_volume'] = {
        'change': change(None, 'D:\\', 1024 * MiB),
        'for': for_(None)['hr'],
    }
    return res


step('diff', diff_session)
dcom.disconnect()


# ---- a non-administrator -----------------------------------------------------------------

def activate_as(u, p):
    d = DCOMConnection(host, u, p, '', '', '', authLevel=AUTH_LEVEL, oxidResolver=False)
    try:
        return d.CoCreateInstanceEx(CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt) and 'ok'
    except DCERPCException as e:
        # The refusal expected here: recorded, not a failure of the script.
        return 'error: %s' % e
    finally:
        # impacket's disconnect trips over its own bookkeeping after a failed activation.
        try:
            d.disconnect()
        except Exception:
            pass


if plain_user is not None:
    step('not_admin', lambda: activate_as(plain_user, plain_password))

print(json.dumps(out, default=str))
