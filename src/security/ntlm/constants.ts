/** NTLMSSP constants (MS-NLMP 2.2). */

export const NTLMSSP_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export const MESSAGE_TYPE = { NEGOTIATE: 1, CHALLENGE: 2, AUTHENTICATE: 3 } as const;

/** NegotiateFlags (MS-NLMP 2.2.2.5). */
export const NTLMSSP_NEGOTIATE = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  DATAGRAM: 0x00000040,
  LM_KEY: 0x00000080,
  NTLM: 0x00000200,
  ANONYMOUS: 0x00000800,
  OEM_DOMAIN_SUPPLIED: 0x00001000,
  OEM_WORKSTATION_SUPPLIED: 0x00002000,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  IDENTIFY: 0x00100000,
  REQUEST_NON_NT_SESSION_KEY: 0x00400000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  N128: 0x20000000,
  KEY_EXCH: 0x40000000,
  N56: 0x80000000,
} as const;

/** AV_PAIR ids (MS-NLMP 2.2.2.1). */
export const MSV_AV = {
  EOL: 0,
  NbComputerName: 1,
  NbDomainName: 2,
  DnsComputerName: 3,
  DnsDomainName: 4,
  DnsTreeName: 5,
  Flags: 6,
  Timestamp: 7,
  SingleHost: 8,
  TargetName: 9,
  ChannelBindings: 10,
} as const;

/** MsvAvFlags bit: the AUTHENTICATE message carries a MIC. */
export const MSV_AV_FLAG_MIC_PRESENT = 0x00000002;

/** The VERSION structure we send: Windows Server 2022 (10.0 build 20348), NTLM revision 15. */
export const SERVER_VERSION = Buffer.from([10, 0, 0x5c, 0x4f, 0, 0, 0, 15]);
