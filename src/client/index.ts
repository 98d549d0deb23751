/** The MS-SCMP client library, as users import it. */
export { ScmpClient, SCMP_CLIENT_DEFAULTS, type Enumeration, type ScmpConnectOptions } from './scmp.js';
export type { DiffArea, DiffVolume, Snapshot, Volume } from './scmp-types.js';
export { filetimeToDate } from './scmp-types.js';
export { AuthenticationError, ConnectionError, NotDcomHostError, TimeoutError } from './errors.js';
export { HResultError } from './dcom.js';
export { BindNakError, InterfaceRefusedError, RpcFaultError } from './rpc-client.js';
export type { ExporterAddress } from './exporter-bindings.js';
export { VSS_ASSOC_NO_MAX_SPACE, VSS_ASSOC_REMOVE, VSS_SYSTEM_PROVIDER_ID } from '../interfaces/scmp/types.js';
