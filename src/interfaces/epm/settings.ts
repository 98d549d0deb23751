/**
 * Limits of the endpoint mapper. Entries a client inserts live only in its own association
 * group (see inserted.ts), so these bound what one association may hold: with the RPC
 * runtime's `maxConnections` they bound the whole server's memory for them.
 */
export interface EpmSettings {
  /** Entries one association group may have inserted at once; a further one: EPT_S_CANT_CREATE. */
  maxInsertedEntriesPerAssociation: number;
  /** Longest tower accepted in an inserted entry; a longer one: EPT_S_INVALID_ENTRY. */
  maxInsertedTowerLength: number;
}

export const DEFAULT_EPM_SETTINGS: Readonly<EpmSettings> = {
  // smbtorture holds one at a time; a real server process registers a handful per interface.
  maxInsertedEntriesPerAssociation: 16,
  // An ncacn_ip_tcp tower is 75 octets; named pipes and host names stay well under this.
  maxInsertedTowerLength: 512,
};
