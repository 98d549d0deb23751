"""SPNEGO (auth type 9) carrying NTLM, over raw DCE/RPC PDUs, with impacket's own SPNEGO,
NTLM and message-security code. impacket's DCE/RPC transport only does Kerberos inside
SPNEGO, so the PDUs are framed here; every token and every signature is impacket's.

Run as: /usr/bin/python3 impacket_spnego.py HOST PORT USER PASSWORD NTHASH
"""
import json
import socket
import struct
import sys

from Cryptodome.Cipher import ARC4
from impacket import ntlm
from impacket.spnego import SPNEGO_NegTokenInit, SPNEGO_NegTokenResp, TypesMech, asn1encode
from impacket.uuid import uuidtup_to_bin

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

MGMT = uuidtup_to_bin(('afa8bd80-7d8a-11c9-bef4-08002b102989', '1.0'))
NDR = uuidtup_to_bin(('8a885d04-1ceb-11c9-9fe8-08002b104860', '2.0'))
AUTH_CTX = 0x1234
NTLM_OID = TypesMech['NTLMSSP - Microsoft NTLM Security Support Provider']
KRB_OIDS = [TypesMech['MS KRB5 - Microsoft Kerberos 5'], TypesMech['KRB5 - Kerberos 5']]
NEGOEX_OID = TypesMech['NEGOEX - SPNEGO Extended Negotiation Security Mechanism']
# What a domain-joined Windows client offers: Kerberos first, then NEGOEX, then NTLM.
WINDOWS_MECHS = KRB_OIDS + [NEGOEX_OID, NTLM_OID]


def der(tag, content):
    return bytes([tag]) + asn1encode(content)


def kerberos_optimistic_token():
    """What a domain-joined client puts first: the GSS-API framing (RFC 4121) of a Kerberos
    AP-REQ (RFC 4120 5.5.1), well formed but for a ticket no KDC issued."""
    integer = lambda n: der(0x02, bytes([n]))
    encrypted = lambda etype, cipher: der(0x30, der(0xa0, integer(etype)) + der(0xa2, der(0x04, cipher)))
    sname = der(0x30, der(0xa0, integer(2)) + der(0xa1, der(0x30, der(0x1b, b'host') + der(0x1b, b'filesrv01'))))
    ticket = der(0x61, der(0x30, der(0xa0, integer(5)) + der(0xa1, der(0x1b, b'LAB.LOCAL')) + der(0xa2, sname) +
                                 der(0xa3, encrypted(18, b'\x00' * 32))))
    ap_req = der(0x6e, der(0x30, der(0xa0, integer(5)) + der(0xa1, integer(14)) + der(0xa2, der(0x03, b'\x00\x20\x00\x00\x00')) +
                                 der(0xa3, ticket) + der(0xa4, encrypted(18, b'\x00' * 32))))
    krb5_oid = b'\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02'
    return der(0x60, krb5_oid + b'\x01\x00' + ap_req)


KRB_OPTIMISTIC = kerberos_optimistic_token()
NEG_STATES = {0: 'accept_completed', 1: 'accept_incomplete', 2: 'reject', 3: 'request_mic'}


def pdu(ptype, call_id, body, auth_level=0, auth_value=b'', pad_to=4):
    pad = (pad_to - len(body) % pad_to) % pad_to if auth_value else 0
    body = body + b'\x00' * pad
    trailer = struct.pack('<BBBBI', 9, auth_level, pad, 0, AUTH_CTX) if auth_value else b''
    frag = 16 + len(body) + len(trailer) + len(auth_value)
    hdr = struct.pack('<BBBB4sHHI', 5, 0, ptype, 3, b'\x10\x00\x00\x00', frag, len(auth_value), call_id)
    return hdr + body + trailer + auth_value


def bind_body():
    ctx = struct.pack('<HBB', 0, 1, 0) + MGMT + NDR
    return struct.pack('<HHIBBH', 5840, 5840, 0, 1, 0, 0) + ctx


def recv_pdu(s):
    hdr = b''
    while len(hdr) < 16:
        chunk = s.recv(16 - len(hdr))
        if not chunk:
            raise EOFError('connection closed')
        hdr += chunk
    frag = struct.unpack('<H', hdr[8:10])[0]
    rest = b''
    while len(rest) < frag - 16:
        chunk = s.recv(frag - 16 - len(rest))
        if not chunk:
            raise EOFError('connection closed')
        rest += chunk
    return hdr + rest


def auth_value(p):
    alen = struct.unpack('<H', p[10:12])[0]
    return p[len(p) - alen:]


def der_items(buf):
    """The TLVs of a constructed DER value's content, as (tag, content)."""
    out, at = [], 0
    while at < len(buf):
        tag, l = buf[at], buf[at + 1]
        at += 2
        if l & 0x80:
            n = l & 0x7f
            l = int.from_bytes(buf[at:at + n], 'big')
            at += n
        out.append((tag, buf[at:at + l]))
        at += l
    return out


def neg_token_resp(token):
    """A NegTokenResp's fields by context tag (a0 negState, a1 supportedMech, a2
    responseToken, a3 mechListMIC), each as the content of its inner value."""
    (_, seq), = der_items(token)
    (_, fields), = der_items(seq)
    got = {}
    for tag, content in der_items(fields):
        (_, inner), = der_items(content)
        got[tag] = inner
    return got


def parse_final(token):
    """The last NegTokenResp: negState and mechListMIC (impacket's parser has no mechListMIC)."""
    got = neg_token_resp(token)
    return got.get(0xa0, b'\xff')[0], got.get(0xa3)


def session(level, mechs):
    s = socket.create_connection((host, port))
    type1 = ntlm.getNTLMSSPType1('', '', signingRequired=True)
    kerberos_first = mechs[0] != NTLM_OID
    init = SPNEGO_NegTokenInit()
    init['MechTypes'] = mechs
    init['MechToken'] = KRB_OPTIMISTIC if kerberos_first else type1.getData()
    s.sendall(pdu(11, 1, bind_body(), level, init.getData()))
    ack = recv_pdu(s)
    if ack[2] != 12:
        return s, {'negState': 'bind_nak'}
    token = auth_value(ack)
    if token[0] == 0xa1 and b'\x0a\x01\x02' in token[:16]:
        return s, {'negState': 'reject'}
    first_answer = None
    call_id = 2
    if kerberos_first and NTLM_OID in mechs:
        # The server picks NTLMSSP, says so, and sends no token (the optimistic one was not
        # for NTLM): the client starts NTLM in the next leg.
        got = neg_token_resp(token)
        first_answer = {'negState': NEG_STATES.get(got.get(0xa0, b'\xff')[0]), 'supportedMech_is_ntlm': got.get(0xa1) == NTLM_OID,
                        'has_token': 0xa2 in got, 'has_mic': 0xa3 in got}
        leg = b'\xa1' + asn1encode(b'\x30' + asn1encode(b'\xa2' + asn1encode(b'\x04' + asn1encode(type1.getData()))))
        s.sendall(pdu(14, call_id, bind_body(), level, leg))
        call_id += 1
        alter = recv_pdu(s)
        if alter[2] != 15:
            return s, {'negState': 'alter_context refused', 'first': first_answer}
        token = auth_value(alter)
    resp = SPNEGO_NegTokenResp(token)
    type3, key = ntlm.getNTLMSSPType3(type1, resp['ResponseToken'], user, password, '', '', '')
    flags = type3['flags']
    c_sign, s_sign = ntlm.SIGNKEY(flags, key), ntlm.SIGNKEY(flags, key, 'Server')
    c_seal, s_seal = ntlm.SEALKEY(flags, key), ntlm.SEALKEY(flags, key, 'Server')
    mech_list = b'\x30' + asn1encode(b''.join(b'\x06' + asn1encode(m) for m in mechs))
    mic = ntlm.SIGN(flags, c_sign, mech_list, 0, ARC4.new(c_seal).encrypt)
    client_resp = b'\xa1' + asn1encode(b'\x30' + asn1encode(
        b'\xa2' + asn1encode(b'\x04' + asn1encode(type3.getData())) +
        b'\xa3' + asn1encode(b'\x04' + asn1encode(mic.getData()))))
    s.sendall(pdu(14, call_id, bind_body(), level, client_resp))
    alter = recv_pdu(s)
    state, server_mic = parse_final(auth_value(alter))
    expected = ntlm.SIGN(flags, s_sign, mech_list, 0, ARC4.new(s_seal).encrypt).getData()
    # After a verified mechListMIC both directions restart their RC4 state but keep their
    # sequence numbers, as Windows does: the MICs spent 0, so the first PDUs carry 1.
    c_handle, s_handle = ARC4.new(c_seal).encrypt, ARC4.new(s_seal).encrypt
    result = {'negState': NEG_STATES.get(state, state), 'mic_verified': server_mic == expected}
    if first_answer is not None:
        result['first'] = first_answer

    def call(call_id, opnum, stub, seq):
        req_hdr = struct.pack('<IHH', len(stub), 0, opnum)
        pad = (16 - len(stub) % 16) % 16
        body = stub + b'\x00' * pad
        trailer = struct.pack('<BBBBI', 9, level, pad, 0, AUTH_CTX)
        frag = 16 + 8 + len(body) + 8 + 16
        hdr = struct.pack('<BBBB4sHHI', 5, 0, 0, 3, b'\x10\x00\x00\x00', frag, 16, call_id)
        to_sign = hdr + req_hdr + body + trailer
        if level == 6:
            sealed, sig = ntlm.SEAL(flags, c_sign, c_seal, to_sign, body, seq, c_handle)
            body = sealed
        else:
            sig = ntlm.SIGN(flags, c_sign, to_sign, seq, c_handle)
        s.sendall(hdr + req_hdr + body + trailer + sig.getData())
        r = recv_pdu(s)
        if r[2] != 2:
            raise RuntimeError('call answered with PDU type %d status 0x%x' % (r[2], struct.unpack('<I', r[24:28])[0]))
        alen = struct.unpack('<H', r[10:12])[0]
        pad = r[len(r) - alen - 6]
        stub_out = r[24:len(r) - alen - 8]
        sig = r[len(r) - 16:]
        if level == 6:
            stub_out = s_handle(stub_out)
        # The server's keystream then covers its checksum, which is verified here too.
        to_verify = r[:24] + stub_out + r[len(r) - alen - 8:len(r) - alen]
        expected = ntlm.SIGN(flags, s_sign, to_verify, seq, s_handle).getData()
        if expected != sig:
            raise RuntimeError('response signature does not verify')
        return stub_out[:len(stub_out) - pad]

    out = call(call_id + 1, 1, struct.pack('<I', 4), 1)
    result['inq_stats_count'] = struct.unpack('<I', out[:4])[0]
    out = call(call_id + 2, 2, b'', 2)
    result['is_listening'] = struct.unpack('<I', out[4:8])[0]
    return s, result


report = {}
for name, level in (('integrity', 5), ('privacy', 6)):
    try:
        s, report[name] = session(level, [NTLM_OID])
        s.close()
    except Exception as e:
        report[name] = 'error: %s' % e
for name, level in (('windows_integrity', 5), ('windows_privacy', 6)):
    try:
        s, report[name] = session(level, WINDOWS_MECHS)
        s.close()
    except Exception as e:
        report[name] = 'error: %s' % e
try:
    s, report['kerberos_only'] = session(5, KRB_OIDS)
    s.close()
except Exception as e:
    report['kerberos_only'] = 'error: %s' % e
print(json.dumps(report))
