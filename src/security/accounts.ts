import { NTOWFv1 } from './ntlm/crypto.js';
import type { HostNames } from './identity.js';

export type Role = 'admin' | 'user';

/** A local account of the emulated host. Only the NT hash is kept. */
export interface Account {
  name: string;
  ntHash: Buffer;
  role: Role;
}

export class AccountSpecError extends Error {}

/**
 * `NAME:PASSWORD[:admin|user]`, or `NAME:nthash:HEX32[:admin|user]` to give the NT hash
 * instead of the password. The role defaults to user.
 */
export function parseAccountSpec(spec: string): Account {
  const parts = spec.split(':');
  const name = parts[0] ?? '';
  if (!name) throw new AccountSpecError(`account "${spec}" has no name (NAME:PASSWORD[:admin|user])`);
  let ntHash: Buffer;
  let rest: string[];
  if (parts[1] === 'nthash') {
    const hex = parts[2] ?? '';
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new AccountSpecError(`account ${name}: nthash must be 32 hex digits`);
    ntHash = Buffer.from(hex, 'hex');
    rest = parts.slice(3);
  } else {
    if (parts.length < 2) throw new AccountSpecError(`account "${spec}" has no password (NAME:PASSWORD[:admin|user])`);
    // A password may itself contain ':' unless its last segment is a role (in any case:
    // "Admin" must not silently become the end of a user's password).
    const last = parts[parts.length - 1]!;
    const hasRole = parts.length > 2 && /^(admin|user)$/i.test(last);
    ntHash = NTOWFv1(parts.slice(1, hasRole ? -1 : undefined).join(':'));
    rest = hasRole ? [last] : [];
  }
  const role = (rest[0] ?? 'user').toLowerCase();
  if (role !== 'admin' && role !== 'user') throw new AccountSpecError(`account ${name}: role must be admin or user, not "${role}"`);
  if (rest.length > 1) throw new AccountSpecError(`account "${spec}": too many fields`);
  return { name, ntHash, role };
}

/**
 * The host's local accounts. Names compare case-insensitively, as Windows does; a local
 * account authenticates with the host's NetBIOS name, its DNS name, "." or no domain.
 */
export class Accounts {
  private readonly byName = new Map<string, Account>();

  constructor(
    private readonly host: HostNames,
    accounts: Account[],
  ) {
    for (const a of accounts) this.byName.set(a.name.toUpperCase(), a);
  }

  get size(): number {
    return this.byName.size;
  }

  isLocalDomain(domain: string): boolean {
    const d = domain.toUpperCase();
    return (
      d === '' ||
      d === '.' ||
      d === this.host.netbiosName.toUpperCase() ||
      d === this.host.netbiosDomain.toUpperCase() ||
      d === this.host.dnsName.toUpperCase()
    );
  }

  find(user: string): Account | undefined {
    return this.byName.get(user.toUpperCase());
  }
}

/** The lab administrator `npm start` creates when no account is given. */
export const DEFAULT_LAB_ACCOUNT = { name: 'Administrator', password: 'Scmp-Lab-2026!' };
