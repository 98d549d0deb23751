"""Independent client for the foundation: impacket (Debian's python3-impacket) talks to scmpd.

Run as: /usr/bin/python3 impacket_foundation.py HOST PORT
Prints one JSON object with what each step observed; the vitest side asserts on it.
"""
import json
import sys

from impacket.dcerpc.v5 import epm, mgmt, transport
from impacket.dcerpc.v5.rpcrt import DCERPCException
from impacket import uuid

host, port = sys.argv[1], int(sys.argv[2])
out = {}


def connect():
    t = transport.DCERPCTransportFactory(r'ncacn_ip_tcp:%s[%d]' % (host, port))
    dce = t.get_dce_rpc()
    dce.connect()
    return dce


# 1. The endpoint list, fetched and grouped the way rpcdump.py does it.
dce = connect()
entries = epm.hept_lookup(None, dce=dce)
listing = []
for e in entries:
    listing.append({
        'uuid': str(e['tower']['Floors'][0]),
        'binding': epm.PrintStringBinding(e['tower']['Floors']),
        'annotation': e['annotation'][:-1].decode('utf-8'),
        'protocol': epm.KNOWN_PROTOCOLS.get(str(e['tower']['Floors'][0])[:36], 'N/A'),
    })
out['lookup'] = listing
dce.disconnect()

# 2. ept_map resolves each of our interfaces to our port.
out['map'] = {}
for name, iface in (('epm', epm.MSRPC_UUID_PORTMAP), ('mgmt', mgmt.MSRPC_UUID_MGMT)):
    dce = connect()
    out['map'][name] = epm.hept_map(host, iface, protocol='ncacn_ip_tcp', dce=dce)
    dce.disconnect()

# An interface nobody serves is not registered.
dce = connect()
try:
    epm.hept_map(host, uuid.uuidtup_to_bin(('12345778-1234-abcd-ef00-0123456789ac', '1.0')), protocol='ncacn_ip_tcp', dce=dce)
    out['map_unknown'] = 'resolved'
except DCERPCException as e:
    out['map_unknown'] = e.get_error_code()
dce.disconnect()

# 3. Every management call.
dce = connect()
dce.bind(mgmt.MSRPC_UUID_MGMT)
r = mgmt.hinq_if_ids(dce)
out['inq_if_ids'] = [str(uuid.bin_to_uuidtup(r['if_id_vector']['if_id'][i]['Data'])) if False else
                     uuid.bin_to_string(r['if_id_vector']['if_id'][i]['Uuid']) + ' v%d.%d' % (
                         r['if_id_vector']['if_id'][i]['VersMajor'], r['if_id_vector']['if_id'][i]['VersMinor'])
                     for i in range(r['if_id_vector']['count'])]
r = mgmt.hinq_stats(dce, count=40)
out['inq_stats'] = {'count': r['count'], 'statistics': list(r['statistics']), 'status': r['status']}
r = mgmt.his_server_listening(dce)
out['is_server_listening'] = {'status': r['status']}
try:
    mgmt.hstop_server_listening(dce)
    out['stop_server_listening'] = 'stopped'
except DCERPCException as e:
    out['stop_server_listening'] = str(e)
r = mgmt.hinq_princ_name(dce, authn_proto=0, princ_name_size=32)
out['inq_princ_name'] = {'name': r['princ_name'][:-1] if r['princ_name'] else '', 'status': r['status']}
dce.disconnect()

# 4. NDR64 alone is refused for a known interface.
dce = connect()
try:
    dce.bind(epm.MSRPC_UUID_PORTMAP, transfer_syntax=('71710533-beba-4937-8319-b5dbef9ccc36', '1.0'))
    out['ndr64_only'] = 'accepted'
except DCERPCException as e:
    out['ndr64_only'] = str(e)
dce.disconnect()

print(json.dumps(out, default=lambda o: o.decode('latin1') if isinstance(o, bytes) else str(o)))
