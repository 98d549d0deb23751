/**
 * Which decoded fields of the interfaces declared beside this file (src/interfaces/<iface>/idl.ts,
 * and the structures src/capture/expand.ts reads out of MInterfacePointers) differ from one
 * host, run or connection to the next by design, and which calls change a host's state.
 * `scmp replay` maps volatile values instead of comparing them: the recorded value and the live
 * one at the same place are paired, and later requests carry the live value wherever the
 * recording had the recorded one. One declarative table; the replay engine (src/replay) holds
 * no field names of its own.
 *
 * Values outside the stubs are volatile too and never compared, because the replay makes its
 * own: call ids, association groups, NTLM challenges and timestamps, SPNEGO tokens, auth
 * context ids, referent ids (NDR pointers are compared by what they point to).
 */

export type VolatileKind =
  /** Mapped: a recorded value, once paired, is replaced in later requests (and object UUIDs). */
  | 'ipid'
  | 'oxid'
  | 'oid'
  | 'setid'
  | 'context-handle'
  /** Not mapped: a fresh value per request (ORPCTHIS's causality id). */
  | 'causality'
  /** Not compared: the exporter's addresses and ports (paired to find the live exporter). */
  | 'binding'
  /** Not compared: marshalled bytes whose contents are compared in their expanded form. */
  | 'marshalled'
  /** Compared floor by floor, except the values of its port and address floors (a host's own). */
  | 'tower';

export interface VolatileField {
  /** The field's IDL (or MS-DCOM structure) name: the last name of a path, array indexes aside. */
  field: string;
  kind: VolatileKind;
  /** Where the name is meant (for the reader; matching is by name). */
  where: string;
}

export const VOLATILE_FIELDS: readonly VolatileField[] = [
  { field: 'ipid', kind: 'ipid', where: 'STDOBJREF (OBJREF.std), REMINTERFACEREF (RemRelease), REMQIRESULT.std' },
  { field: 'ipidRemUnknown', kind: 'ipid', where: 'ScmReplyInfoData (activation properties out)' },
  { field: 'pipidRemUnknown', kind: 'ipid', where: 'RemoteActivation, ResolveOxid, ResolveOxid2' },
  { field: 'ripid', kind: 'ipid', where: 'RemQueryInterface, RemAddRef' },
  { field: 'oxid', kind: 'oxid', where: 'STDOBJREF, ScmReplyInfoData' },
  { field: 'pOxid', kind: 'oxid', where: 'RemoteActivation' },
  { field: 'oid', kind: 'oid', where: 'STDOBJREF' },
  { field: 'AddToSet', kind: 'oid', where: 'ComplexPing' },
  { field: 'DelFromSet', kind: 'oid', where: 'ComplexPing' },
  { field: 'pSetId', kind: 'setid', where: 'ComplexPing' },
  { field: 'setId', kind: 'setid', where: 'SimplePing' },
  { field: 'entry_handle', kind: 'context-handle', where: 'ept_lookup, ept_lookup_handle_free, ept_map' },
  { field: 'cid', kind: 'causality', where: 'ORPCTHIS' },
  { field: 'ppdsaOxidBindings', kind: 'binding', where: 'ResolveOxid, ResolveOxid2, RemoteActivation' },
  { field: 'pdsaOxidBindings', kind: 'binding', where: 'RemoteActivation' },
  { field: 'bindings', kind: 'binding', where: 'ScmReplyInfoData' },
  { field: 'saResAddr', kind: 'binding', where: 'OBJREF_STANDARD' },
  { field: 'ppdsaOrBindings', kind: 'binding', where: 'ServerAlive2' },
  { field: 'tower_octet_string', kind: 'tower', where: 'twr_t (ept_map towers, ept_lookup entries): TCP/UDP port and IP address floors' },
  { field: 'abData', kind: 'marshalled', where: 'MInterfacePointer (compared as OBJREF or ActivationProperties)' },
  { field: 'ulCntData', kind: 'marshalled', where: 'MInterfacePointer (its length follows the bindings inside)' },
];

const BY_FIELD = new Map(VOLATILE_FIELDS.map((f) => [f.field, f]));

/** The rule for a field name, if it is volatile. */
export function volatileField(name: string): VolatileField | undefined {
  return BY_FIELD.get(name);
}

/**
 * Calls that change the host's state: MS-SCMP's two that write (3.1.4), the endpoint mapper's
 * registrations (C706 ept_insert, ept_delete, ept_mgmt_delete: Samba's torture suite calls
 * them) and the management interface's stop. `scmp replay` sends them only with
 * --allow-changes. Named `Interface::Method`.
 */
export const STATE_CHANGING_METHODS: readonly string[] = [
  'IVssDifferentialSoftwareSnapshotMgmt::AddDiffArea',
  'IVssDifferentialSoftwareSnapshotMgmt::ChangeDiffAreaMaximumSize',
  'epm::ept_insert',
  'epm::ept_delete',
  'epm::ept_mgmt_delete',
  'mgmt::rpc__mgmt_stop_server_listening',
];

/** Fields holding an HRESULT or RPC status, printed by name. */
export const STATUS_FIELDS: readonly string[] = ['hr', 'hResult', 'phresults', 'status', 'pError'];

/**
 * The IDL names of union arms, for report paths: NDR decodes a non-encapsulated union as
 * `{tag, value}`, and MS-SCMP's IDL names the arms (2.2.3.1 VSS_OBJECT_UNION: Snap, Prov;
 * 2.2.3.5 VSS_MGMT_OBJECT_UNION: Vol, DiffVol, DiffArea). Keyed by the interface whose
 * answers carry the union, then the field holding it, then the discriminant.
 */
export const UNION_ARM_NAMES: Readonly<Record<string, Readonly<Record<string, Readonly<Record<number, string>>>>>> = {
  IVssEnumObject: { Obj: { 3: 'Snap', 4: 'Prov' } },
  IVssEnumMgmtObject: { Obj: { 1: 'Vol', 2: 'DiffVol', 3: 'DiffArea' } },
};
