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

from scmp_client import *  # noqa: F401,F403 (the declarations)
import scmp_client

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
plain_user = sys.argv[5] if len(sys.argv) > 5 else None
plain_password = sys.argv[6] if len(sys.argv) > 6 else None
scmp_client.configure(port)

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
    res['skip0'] = skip(e, 0)
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
# Combinations of the four attributes that are no VSS_CTX_* value, and bits outside them.
step('volumes_by_context', lambda: dict(
    (hex(ctx), (lambda r: [r[0], len(drain(r[1])) if r[1] is not None else None])(query_volumes(SYSTEM_PROVIDER, ctx)))
    for ctx in (0x01, 0x04, 0x08, 0x05, 0x0c, 0x11, 0x1c, 0x15, 0x02, 0x20)))


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
    res['reset2'] = reset(e)
    res['skip0'] = skip(e, 0)
    res['next1_after_skip0'] = next_(e, 1)
    return res


step('snapshots', snapshots_enum)
step('snapshots_C', lambda: (lambda r: [s['id'] for s in drain(r[1])])(query_snapshots('C:\\')))
step('snapshots_null_volume', lambda: query_snapshots(None)[::2])
step('snapshots_guid_null', lambda: query_snapshots('D:\\', GUID_NULL)[::2])
step('snapshots_unknown_provider', lambda: query_snapshots('D:\\', UNKNOWN_PROVIDER)[::2])
step('snapshots_unknown_volume', lambda: (lambda r: [r[0], r[2], drain(r[1]) if r[1] is not None else None])(query_snapshots('Z:\\')))


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
    res['change_negative'] = change('E:\\', 'D:\\', -2)
    res['change_delete'] = change('E:\\', 'D:\\', 0)
    res['change_delete_again'] = change('E:\\', 'D:\\', 0)
    res['for_E_after'] = for_('E:\\')
    res['on_D_after'] = on('D:\\')
    res['unknown_volume'] = {
        'add': add('Z:\\', 'D:\\', 512 * MiB),
        'add_on': add('E:\\', 'Z:\\', 512 * MiB),
        'add_empty': add('', 'D:\\', 512 * MiB),
        'add_on_empty': add('E:\\', '', 512 * MiB),
        'change': change('Z:\\', 'D:\\', 1024 * MiB),
        'supported': query(QueryVolumesSupportedForDiffAreas, 'pwszOriginalVolumeName', 'Z:\\'),
        'for': for_('Z:\\'),
        'on': on('Z:\\'),
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
