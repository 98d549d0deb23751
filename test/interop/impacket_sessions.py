"""impacket at packet privacy as a management client watching a host whose requester
sessions come and go: runs a plan of MS-SCMP operations on one activation.

Run as: /usr/bin/python3 impacket_sessions.py HOST PORT USER PASSWORD PLAN_JSON
PLAN_JSON is a list of operations:
  ["snapshots", VOLUME]                   QuerySnapshotsByVolume, drained
  ["add", VOLUME, STORAGE, MAX]           AddDiffArea
  ["change", VOLUME, STORAGE, MAX]        ChangeDiffAreaMaximumSize
  ["for", VOLUME]                         QueryDiffAreasForVolume, drained
Prints one JSON object: {"results": [...]} with one entry per operation.
"""
import json
import sys

from scmp_client import *  # noqa: F401,F403 (the declarations)
import scmp_client

host, port, user, password, plan = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
scmp_client.configure(port)

dcom = DCOMConnection(host, user, password, '', '', '', authLevel=AUTH_LEVEL, oxidResolver=False)
mgmt = Iface(dcom.CoCreateInstanceEx(CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt), IID_IVssSnapshotMgmt)
diff = None


def differential():
    global diff
    if diff is None:
        req = GetProviderMgmtInterface()
        req['ProviderId'] = string_to_bin(SYSTEM_PROVIDER)
        req['InterfaceId'] = string_to_bin('214A0F28-B737-4026-B847-4F9E37D79529')
        diff = mgmt.returned(mgmt.call(req), 'ppItf', IID_IVssDifferentialSoftwareSnapshotMgmt)
    return diff


def snapshots(volume):
    req = QuerySnapshotsByVolume()
    req['pwszVolumeName'] = pwsz(volume)
    req['ProviderId'] = string_to_bin(SYSTEM_PROVIDER)
    r = mgmt.call(req)
    e = mgmt.returned(r, 'ppEnum', IID_IVssEnumObject)
    return {'hr': hr(r), 'items': drain(e) if e is not None else None}


def change_storage(cls, volume, storage, maximum):
    req = cls()
    req['pwszVolumeName'] = pwsz(volume)
    req['pwszDiffAreaVolumeName'] = pwsz(storage)
    req['llMaximumDiffSpace'] = maximum
    return {'hr': hr(differential().call(req))}


def diff_areas_for(volume):
    req = QueryDiffAreasForVolume()
    req['pwszVolumeName'] = pwsz(volume)
    r = differential().call(req)
    e = differential().returned(r, 'ppEnum', IID_IVssEnumMgmtObject)
    return {'hr': hr(r), 'items': drain(e) if e is not None else None}


results = []
for op in plan:
    if op[0] == 'snapshots':
        results.append(snapshots(op[1]))
    elif op[0] == 'add':
        results.append(change_storage(AddDiffArea, op[1], op[2], op[3]))
    elif op[0] == 'change':
        results.append(change_storage(ChangeDiffAreaMaximumSize, op[1], op[2], op[3]))
    elif op[0] == 'for':
        results.append(diff_areas_for(op[1]))
    else:
        raise ValueError('unknown operation %r' % (op,))
dcom.disconnect()
print(json.dumps({'results': results}, default=str))
