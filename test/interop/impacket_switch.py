"""A long impacket session: N changes of interface on one connection, impacket's way.

Each `alter_ctx` opens a new presentation context and a new NTLM security context (impacket
numbers them ctx+1 and 79231+ctx) at privacy, and never uses the old ones again. Every
tenth switch makes a call on the new context. Then it prints one JSON line, waits for a line
on stdin (the test inspects the server meanwhile), makes one more call and prints the result.

Run as: /usr/bin/python3 impacket_switch.py HOST PORT USER PASSWORD COUNT
"""
import json
import socket
import sys
import time

from impacket.dcerpc.v5 import epm, mgmt, transport
from impacket.dcerpc.v5.rpcrt import RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_AUTHN_WINNT

host, port, user, password, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])

t = transport.DCERPCTransportFactory(r'ncacn_ip_tcp:%s[%d]' % (host, port))
t.set_credentials(user, password, '', '', '')
dce = t.get_dce_rpc()
dce.set_auth_type(RPC_C_AUTHN_WINNT)
dce.set_auth_level(RPC_C_AUTHN_LEVEL_PKT_PRIVACY)
dce.connect()
# impacket writes auth3 and the next request as two small segments; without TCP_NODELAY
# each switch waits out Nagle and a delayed ACK (40 ms), which has nothing to do with us.
t.get_socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
t.get_socket().settimeout(30)
dce.bind(mgmt.MSRPC_UUID_MGMT)

out = {'switches': 0, 'calls': 0}
started = time.time()
try:
    for i in range(1, count + 1):
        iface = mgmt.MSRPC_UUID_MGMT if i % 2 == 0 else epm.MSRPC_UUID_PORTMAP
        dce = dce.alter_ctx(iface)
        out['switches'] = i
        if i % 10 == 0:
            # Even switches land on the management interface.
            mgmt.hinq_if_ids(dce)
            out['calls'] += 1
except Exception as e:
    out['error'] = '%s: %s' % (type(e).__name__, e)
out['seconds'] = round(time.time() - started, 2)
print(json.dumps(out), flush=True)

sys.stdin.readline()
final = {}
try:
    if out['switches'] % 2 == 1:
        dce = dce.alter_ctx(mgmt.MSRPC_UUID_MGMT)
    final['if_ids'] = len(mgmt.hinq_if_ids(dce)['if_id_vector']['if_id'])
except Exception as e:
    final['error'] = '%s: %s' % (type(e).__name__, e)
print(json.dumps(final), flush=True)
dce.disconnect()
