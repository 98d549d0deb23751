/** The names the emulated host answers to, as NTLM's CHALLENGE and local accounts need them. */
export interface HostNames {
  /** NetBIOS computer name, upper case (FILESRV01). */
  netbiosName: string;
  /** Fully qualified DNS name (filesrv01.lab.local). */
  dnsName: string;
  /** NetBIOS domain: for a workgroup server, its own computer name. */
  netbiosDomain: string;
  /** DNS domain. */
  dnsDomain: string;
}

export const DEFAULT_HOST_NAMES: HostNames = {
  netbiosName: 'FILESRV01',
  dnsName: 'filesrv01.lab.local',
  netbiosDomain: 'FILESRV01',
  dnsDomain: 'lab.local',
};

/** Who a call comes from, once authentication has finished. */
export interface Identity {
  readonly anonymous: boolean;
  readonly user: string;
  /** The authority that vouched for the user: the host itself for a local account. */
  readonly domain: string;
  /** The domain name as the client gave it at logon (audit lines keep it). */
  readonly logonDomain?: string;
  /** Member of BUILTIN\Administrators. */
  readonly admin: boolean;
}

export const ANONYMOUS: Identity = { anonymous: true, user: 'ANONYMOUS LOGON', domain: 'NT AUTHORITY', admin: false };
