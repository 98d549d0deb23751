/**
 * The TCP and IP numbers both directions of the capture code use: the control flags of the
 * TCP header (RFC 9293 3.1) and TCP's IP protocol number, read by packet.ts and written by
 * synthesize.ts.
 */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** IPv4's protocol field, IPv6's next header: TCP. */
export const IPPROTO_TCP = 6;
