import type { AuthEvent } from '../../src/dcerpc/auth.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { Accounts, parseAccountSpec } from '../../src/security/accounts.js';
import { DEFAULT_HOST_NAMES } from '../../src/security/identity.js';
import { RpcSecurity, type SecuritySettings } from '../../src/security/provider.js';
import { NtlmRpcClientContext } from '../../src/security/ntlm/rpc.js';
import type { NtlmCredentials } from '../../src/security/ntlm/client.js';
import { installSpnego } from '../../src/security/spnego/rpc.js';

export const ADMIN = { user: 'alice', password: 'Wonder-Land-1', domain: 'FILESRV01' };
export const USER = { user: 'bob', password: 'Builder-2', domain: 'FILESRV01' };

/** A security provider with one administrator and one user, recording its audit events. */
export function testSecurity(over: Partial<SecuritySettings> = {}, log: Logger = silentLogger) {
  const accounts = new Accounts(DEFAULT_HOST_NAMES, [
    parseAccountSpec(`${ADMIN.user}:${ADMIN.password}:admin`),
    parseAccountSpec(`${USER.user}:${USER.password}:user`),
  ]);
  const sec = new RpcSecurity({ host: DEFAULT_HOST_NAMES, accounts, allowNtlmV1: false, allowAnonymous: true, spnego: true, ...over }, log);
  installSpnego(sec);
  const events: AuthEvent[] = [];
  const audit = sec.audit.bind(sec);
  sec.audit = (e) => {
    events.push(e);
    audit(e);
  };
  return { sec, events };
}

export function ntlm(creds: NtlmCredentials = ADMIN, flags?: number, opts?: { corruptMic?: boolean }) {
  return new NtlmRpcClientContext(creds, flags, opts);
}
