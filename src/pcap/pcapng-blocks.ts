/**
 * The numbers of the pcap and pcapng formats that the reader and the writer share
 * (pcap: the classic header's magics; pcapng draft-ietf-opsawg-pcapng: block types, the
 * byte-order magic).
 */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const SHB_TYPE = 0x0a0d0d0a;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const IDB_TYPE = 0x00000001;
/** The obsolete Packet Block. */
export const PB_TYPE = 0x00000002;
export const SPB_TYPE = 0x00000003;
export const EPB_TYPE = 0x00000006;
