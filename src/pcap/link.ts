/**
 * Link-layer headers → the IP packet they carry. Only what a TCP reader needs: anything that
 * is not IPv4 or IPv6 is a skip with its reason (the caller counts it).
 */

export type LinkResult = { readonly ip: Buffer } | { readonly skip: string };

/** LINKTYPE_* values (tcpdump.org's link-layer header types). */
export const LINKTYPE = Object.freeze({
  NULL: 0,
  ETHERNET: 1,
  RAW_BSD_12: 12,
  RAW_BSD_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
});

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q, 802.1ad and the older QinQ value: a 4-byte tag before the real EtherType. */
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);
/** AF_INET6 differs by system: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30. */
const AF_INET6 = new Set([10, 24, 28, 30]);
const MAX_VLAN_TAGS = 4;

function byEtherType(type: number, ip: Buffer): LinkResult {
  if (type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6) return { ip };
  return { skip: `EtherType 0x${type.toString(16).padStart(4, '0')}` };
}

function byFamily(family: number, ip: Buffer): LinkResult {
  if (family === 2 || AF_INET6.has(family)) return { ip };
  return { skip: `address family ${family}` };
}

export function ipFromLink(linkType: number, d: Buffer): LinkResult {
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      if (d.length < 14) return { skip: 'Ethernet header cut short' };
      let at = 12;
      let type = d.readUInt16BE(at);
      for (let tags = 0; VLAN_TAGS.has(type); tags++) {
        if (tags === MAX_VLAN_TAGS || d.length < at + 6) return { skip: 'VLAN tags cut short or too many' };
        at += 4;
        type = d.readUInt16BE(at);
      }
      return byEtherType(type, d.subarray(at + 2));
    }
    case LINKTYPE.LINUX_SLL:
      if (d.length < 16) return { skip: 'Linux cooked header cut short' };
      return byEtherType(d.readUInt16BE(14), d.subarray(16));
    case LINKTYPE.LINUX_SLL2:
      if (d.length < 20) return { skip: 'Linux cooked v2 header cut short' };
      return byEtherType(d.readUInt16BE(0), d.subarray(20));
    case LINKTYPE.NULL: {
      if (d.length < 4) return { skip: 'loopback header cut short' };
      // The family is in the byte order of the machine that captured: a small value read either way.
      const le = d.readUInt32LE(0);
      return byFamily(le <= 0xffff ? le : d.readUInt32BE(0), d.subarray(4));
    }
    case LINKTYPE.LOOP:
      if (d.length < 4) return { skip: 'loopback header cut short' };
      return byFamily(d.readUInt32BE(0), d.subarray(4));
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_BSD_12:
    case LINKTYPE.RAW_BSD_14:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      return { ip: d };
    default:
      return { skip: `link type ${linkType}` };
  }
}
