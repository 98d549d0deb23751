"""impacket's DCOM runtime against scmpd: activation, the exporter, IRemUnknown, the resolver.

Run as: /usr/bin/python3 impacket_dcom.py HOST PORT USER PASSWORD LEVEL
Prints one JSON object; the vitest side asserts on it.
"""
import json
import sys

import scmp_client  # points impacket's SCM connection at our port (configure below)
from impacket.dcerpc.v5.dcomrt import DCOMConnection, IRemUnknown, IActivation, IObjectExporter
from impacket.dcerpc.v5.rpcrt import RPC_C_AUTHN_WINNT
from impacket.uuid import string_to_bin

host, port, user, password, level = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
plain_user, plain_password = sys.argv[6], sys.argv[7]
CLSID_ShadowCopyProvider = string_to_bin('0B5A2C52-3EB9-470A-96E2-6C6D4570E40F')
CLSID_Unknown = string_to_bin('12345678-1234-1234-1234-123456789ABC')
IID_IVssSnapshotMgmt = string_to_bin('FA7DF749-66E7-4986-A27F-E2F04AE53772')
IID_IUnknown = string_to_bin('00000000-0000-0000-C000-000000000046')
IID_Other = string_to_bin('214A0F28-B737-4026-B847-4F9E37D79529')
out = {}

# impacket dials port 135 for the SCM; scmp_client points it at our port.
scmp_client.configure(port)


def step(name, fn):
    try:
        out[name] = fn()
    except Exception as e:
        out[name] = 'error: %s' % e


dcom = DCOMConnection(host, user, password, '', '', '', authLevel=level, oxidResolver=False)
iface = dcom.CoCreateInstanceEx(CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt)
out['activated'] = True
unk = IRemUnknown(iface)
step('qi_iunknown', lambda: unk.RemQueryInterface(1, (IID_IUnknown,)).get_iPid() is not None)
step('qi_snapshot_mgmt', lambda: unk.RemQueryInterface(1, (IID_IVssSnapshotMgmt,)).get_iPid() is not None)
step('qi_other', lambda: unk.RemQueryInterface(1, (IID_Other,)) and 'ok')
step('addref', lambda: unk.RemAddRef()['ErrorCode'])
# Activation handed out 5 references, the second QueryInterface one, RemAddRef one more:
# seven releases free the pointer, and it is gone.
step('release', lambda: [unk.RemRelease()['ErrorCode'] for _ in range(7)])
step('after_release', lambda: unk.RemQueryInterface(1, (IID_IUnknown,)) and 'ok')
dcom.disconnect()

# impacket binds again for each activation, which a server refuses on a bound connection
# (as Windows does): each activation below gets its own connection.
def activate(clsid, u=user, p=password):
    d = DCOMConnection(host, u, p, '', '', '', authLevel=level, oxidResolver=False)
    try:
        return d.CoCreateInstanceEx(clsid, IID_IVssSnapshotMgmt) and 'ok'
    finally:
        # impacket's disconnect trips over its own bookkeeping after a failed activation.
        try:
            d.disconnect()
        except Exception:
            pass
step('unknown_clsid', lambda: activate(CLSID_Unknown))
step('not_admin', lambda: activate(CLSID_ShadowCopyProvider, plain_user, plain_password))

# The older activation interface.
def old_activation():
    t = scmp_client.factory('ncacn_ip_tcp:%s' % host)
    t.set_credentials(user, password, '', '', '')
    dce = t.get_dce_rpc()
    dce.set_auth_type(RPC_C_AUTHN_WINNT)
    dce.set_auth_level(level)
    dce.connect()
    i = IActivation(dce).RemoteActivation(CLSID_ShadowCopyProvider, IID_IVssSnapshotMgmt)
    return i.get_iPid() is not None
step('remote_activation', old_activation)

# ServerAlive2 answers anonymous callers.
def server_alive2():
    t = scmp_client.factory('ncacn_ip_tcp:%s' % host)
    dce = t.get_dce_rpc()
    dce.connect()
    bindings = IObjectExporter(dce).ServerAlive2()
    return [b['aNetworkAddr'] for b in bindings]
step('server_alive2', server_alive2)

print(json.dumps(out, default=str))
