"""impacket authenticates to scmpd with NTLM at each level, and with SPNEGO built from its own pieces.

Run as: /usr/bin/python3 impacket_auth.py HOST PORT USER PASSWORD NTHASH
Prints one JSON object; the vitest side asserts on it.
"""
import json
import sys
import struct

from impacket import ntlm
from impacket.dcerpc.v5 import epm, mgmt, transport
from impacket.dcerpc.v5.rpcrt import (DCERPCException, RPC_C_AUTHN_LEVEL_CONNECT, RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
                                      RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_AUTHN_WINNT)

host, port, user, password, nthash = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
out = {}


def session(level, username=user, pw=password, domain='', lmhash='', nt='', iface=None):
    t = transport.DCERPCTransportFactory(r'ncacn_ip_tcp:%s[%d]' % (host, port))
    t.set_credentials(username, pw, domain, lmhash, nt)
    dce = t.get_dce_rpc()
    dce.set_auth_type(RPC_C_AUTHN_WINNT)
    dce.set_auth_level(level)
    dce.connect()
    # hept_lookup binds by itself; a second bind on one connection is refused, as on Windows.
    if iface is not None:
        dce.bind(iface)
    return dce


def lookup_count(dce):
    return len(epm.hept_lookup(None, dce=dce))


# 1. NTLM at connect, integrity and privacy: endpoint-mapper and management calls answer.
for name, level in (('connect', RPC_C_AUTHN_LEVEL_CONNECT), ('integrity', RPC_C_AUTHN_LEVEL_PKT_INTEGRITY),
                    ('privacy', RPC_C_AUTHN_LEVEL_PKT_PRIVACY)):
    try:
        dce = session(level)
        n = lookup_count(dce)
        dce.disconnect()
        dce = session(level, iface=mgmt.MSRPC_UUID_MGMT)
        r = mgmt.hinq_stats(dce, count=4)
        listening = mgmt.his_server_listening(dce)['status']
        dce.disconnect()
        out['ntlm_' + name] = {'lookup': n, 'stats': r['count'], 'listening_status': listening}
    except Exception as e:
        out['ntlm_' + name] = 'error: %s' % e

# 2. Pass-the-hash: the NT hash instead of the password.
try:
    dce = session(RPC_C_AUTHN_LEVEL_PKT_PRIVACY, pw='', nt=nthash, lmhash='aad3b435b51404eeaad3b435b51404ee')
    out['pass_the_hash'] = lookup_count(dce)
    dce.disconnect()
except Exception as e:
    out['pass_the_hash'] = 'error: %s' % e

# 3. Wrong password, unknown user (whatever the domain): refused. A domain the standalone
#    host does not know is its own, as on Windows: the right password gets in.
for name, kw in (('wrong_password', {'pw': password + 'x'}), ('unknown_user', {'username': 'nobody-here'}),
                 ('wrong_password_other_domain', {'pw': password + 'x', 'domain': 'WORKGROUP'}),
                 ('other_domain', {'domain': 'WORKGROUP'})):
    try:
        dce = session(RPC_C_AUTHN_LEVEL_PKT_INTEGRITY, **kw)
        lookup_count(dce)
        out[name] = 'accepted'
    except Exception as e:
        out[name] = str(e)

# 4. Anonymous: an unauthenticated bind still reaches the endpoint mapper.
t = transport.DCERPCTransportFactory(r'ncacn_ip_tcp:%s[%d]' % (host, port))
dce = t.get_dce_rpc()
dce.connect()
out['anonymous_lookup'] = len(epm.hept_lookup(None, dce=dce))
dce.disconnect()

print(json.dumps(out))
