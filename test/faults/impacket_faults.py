"""impacket as a client of scmpd with scripted faults (the vitest side sets the rules).

Run as: /usr/bin/python3 impacket_faults.py HOST PORT USER PASSWORD
Calls QuerySnapshotsByVolume four times on one activation, then prints one JSON object:
what impacket read of each answer (the HRESULT and whether ppEnum is null), or the
exception it raised (a fault's status, a dropped connection).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'interop'))

import json  # noqa: E402

from scmp_client import *  # noqa: F401,F403,E402 (the declarations)
import scmp_client  # noqa: E402

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
scmp_client.configure(port)

dcom = DCOMConnection(host, user, password, '', '', '', authLevel=AUTH_LEVEL, oxidResolver=False)
mgmt = Iface(dcom.CoCreateInstanceEx(CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt), IID_IVssSnapshotMgmt)


def query(volume):
    req = QuerySnapshotsByVolume()
    req['pwszVolumeName'] = pwsz(volume)
    req['ProviderId'] = string_to_bin(SYSTEM_PROVIDER)
    try:
        r = mgmt.call(req)
        return {'hr': hr(r), 'enum': not is_null(r.fields['ppEnum'])}
    except DCERPCException as e:
        # impacket raises a fault's status by its name (rpcrt's rpc_status_codes).
        return {'fault': str(e)}
    except Exception as e:  # a dropped connection: impacket's transport raises
        return {'error': type(e).__name__}


# The rules: C: vetoed once, then D: faulted once, then E: dropped.
out = {'veto': query('C:\\'), 'after_veto': query('C:\\'), 'fault': query('D:\\'), 'drop': query('E:\\')}
print(json.dumps(out))
sys.stdout.flush()
os._exit(0)
