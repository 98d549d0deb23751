/**
 * The admin API's routes: each one a call on the EmulatedHost (the in-process API) with
 * its JSON body read by Fields. The HTTP server (http.ts) and `scmp admin` (src/cli) add
 * nothing of their own.
 */
import type { EmulatedHost } from '../store/emulated-host.js';
import { documentFromXml } from '../store/requester/document-xml.js';
import type { RequesterSession } from '../store/requester/session.js';
import { refuse } from '../store/errors.js';
import type { DiffArea, Volume } from '../store/model.js';
import { canonicalGuid, VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE } from '../store/vss.js';
import { VSS_E_OBJECT_NOT_FOUND } from '../status/index.js';
import { BadRequest, Fields } from './fields.js';
import { diffAreaView, documentView, faultView, hostView, sessionSummary, sessionView, snapshotView } from './views.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Route {
  method: Method;
  /** The route as written (`/api/sessions/:id/:step`): what audit lines name. */
  pattern: string;
  path: RegExp;
  handle(host: EmulatedHost, params: string[], body: Fields, query: URLSearchParams): unknown;
}

const route = (method: Method, path: string, handle: Route['handle']): Route => ({
  method,
  pattern: path,
  path: new RegExp(`^${path.replace(/:[a-z]+/g, '([^/]+)')}$`),
  handle,
});

/**
 * A session named in a path: a GUID in any case or in braces is the one Guid; anything else
 * is looked up as it is, and found by no session.
 */
const sessionId = (id: string): string => canonicalGuid(id) ?? id;

/** A document given inline (`xml`) or by the name it was saved under (`document`). */
function savedOrGiven(b: Fields, host: EmulatedHost, required: boolean): string | undefined {
  b.only('xml', 'document');
  if (b.has('document')) return host.document(b.string('document'));
  return required || b.has('xml') ? b.string('xml', { max: Number.MAX_SAFE_INTEGER }) : undefined;
}

/** A volume named in a query or body, in any form the store resolves; unknown: VSS_E_OBJECT_NOT_FOUND (404). */
function knownVolume(h: EmulatedHost, name: string): Volume {
  return h.store.resolveVolume(name) ?? refuse(VSS_E_OBJECT_NOT_FOUND, `${JSON.stringify(name)} is not a volume of this host`);
}

/** The shadow copy storage associations of a volume (on one storage volume, when named). */
function associationsOf(h: EmulatedHost, volume: string, on: string | undefined): DiffArea[] {
  const v = knownVolume(h, volume).mountName;
  const storage = on === undefined ? undefined : knownVolume(h, on).mountName;
  return h.store.diffAreas().filter((d) => d.volume === v && (storage === undefined || d.diffAreaVolume === storage));
}

/**
 * maxSize: bytes, -1 or UNBOUNDED (Fields.bytes), or a percentage of the storage volume
 * (`20%`, vssadmin's /MaxSize=20%), resolved here where the volume's size is known.
 */
function maxSizeOf(h: EmulatedHost, b: Fields): bigint {
  const raw = b.raw('maxSize');
  const m = typeof raw === 'string' ? /^(\d{1,3})%$/.exec(raw) : null;
  if (!m) return b.bytes('maxSize', true);
  const percent = BigInt(m[1]!);
  if (percent < 1n || percent > 100n) throw new BadRequest('maxSize', 'maxSize: a percentage of the storage volume is from 1% to 100%');
  return (knownVolume(h, b.string('on')).totalBytes * percent) / 100n;
}

/**
 * vssadmin's `delete shadows /all` without /for: every client-accessible shadow copy of the
 * host, all or none (one change); none at all is VSS_E_OBJECT_NOT_FOUND, as with /for.
 */
function deleteAllClientAccessible(h: EmulatedHost) {
  const volumes = [...new Set(h.store.snapshots().filter((s) => (s.attributes & VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE) !== 0).map((s) => s.originalVolume))];
  if (volumes.length === 0) refuse(VSS_E_OBJECT_NOT_FOUND, 'this host has no client-accessible shadow copy');
  return h.store.atomically(() => volumes.flatMap((v) => h.deleteShadows(v, { all: true })));
}

/** One step of a requester session: the IVssBackupComponents call it stands for. */
const STEPS: Record<string, (s: RequesterSession, b: Fields, host: EmulatedHost) => unknown> = {
  'initialize-for-backup': (s, b, host) => s.initializeForBackup(savedOrGiven(b, host, false)),
  'initialize-for-restore': (s, b, host) => s.initializeForRestore(savedOrGiven(b, host, true)!),
  'set-context': (s, b) => s.setContext(b.only('context').context('context')),
  'set-backup-state': (s, b) => {
    b.only('selectComponents', 'bootableSystemState', 'backupType', 'partialFileSupport');
    return s.setBackupState({
      selectComponents: b.bool('selectComponents'),
      bootableSystemState: b.bool('bootableSystemState', false),
      backupType: b.backupType('backupType'),
      partialFileSupport: b.bool('partialFileSupport', false),
    });
  },
  'gather-writer-metadata': (s, b) => (b.only(), s.gatherWriterMetadata()),
  'gather-writer-status': (s, b) => (b.only(), s.writerStatus()),
  'add-component': (s, b) => s.addComponent(b.only('writerId', 'instanceId', 'type', 'logicalPath', 'name').component()),
  'set-backup-succeeded': (s, b) => {
    b.only('component', 'succeeded');
    return s.setBackupSucceeded(b.component('component'), b.bool('succeeded'));
  },
  'set-backup-options': (s, b) => {
    b.only('component', 'options');
    return s.setBackupOptions(b.component('component'), b.string('options', { empty: true }));
  },
  'set-selected-for-restore': (s, b) => {
    b.only('component', 'selected');
    return s.setSelectedForRestore(b.component('component'), b.bool('selected'));
  },
  'add-restore-subcomponent': (s, b) => {
    b.only('component', 'subcomponent', 'repair');
    const sub = b.nested('subcomponent').only('logicalPath', 'name');
    return s.addRestoreSubcomponent(b.component('component'), { logicalPath: sub.optString('logicalPath', { empty: true }) ?? '', name: sub.string('name') }, b.bool('repair', false));
  },
  'set-file-restore-status': (s, b) => {
    b.only('component', 'status');
    return s.setFileRestoreStatus(b.component('component'), b.restoreStatus('status'));
  },
  'start-snapshot-set': (s, b) => ({ snapshotSetId: (b.only(), s.startSnapshotSet()) }),
  'add-to-snapshot-set': (s, b) => {
    b.only('volume', 'providerId');
    return { snapshotId: s.addToSnapshotSet(b.string('volume'), b.optGuid('providerId')) };
  },
  'prepare-for-backup': (s, b) => (b.only(), s.prepareForBackup()),
  'do-snapshot-set': (s, b) => (b.only(), s.doSnapshotSet().map(snapshotView)),
  'backup-complete': (s, b) => (b.only(), s.backupComplete()),
  'abort-backup': (s, b) => (b.only(), s.abortBackup()),
  'delete-snapshots': (s, b) => {
    b.only('id', 'type');
    return s.deleteSnapshots(b.guid('id'), b.deleteTarget('type'));
  },
  'import-snapshots': (s, b) => (b.only(), s.importSnapshots().map(snapshotView)),
  'pre-restore': (s, b) => (b.only(), s.preRestore()),
  'post-restore': (s, b) => (b.only(), s.postRestore()),
  'save-as-xml': (s, b) => (b.only(), { xml: s.saveAsXml() }),
  /** SaveAsXML, kept on the host under a name. */
  'save-document': (s, b, host) => {
    const name = b.only('name').string('name');
    host.saveDocument(name, s.saveAsXml());
    return { name };
  },
};

export const STEP_NAMES = Object.keys(STEPS);

export const ROUTES: Route[] = [
  route('GET', '/api/host', (h) => hostView(h)),
  route('POST', '/api/reboot', (h, _p, b) => (b.only(), h.reboot(), hostView(h))),

  // vssadmin list / create / delete shadows
  route('GET', '/api/shadows', (h, _p, _b, q) => {
    const v = q.get('for');
    const mount = v === null ? undefined : knownVolume(h, v).mountName;
    return h.store.snapshots().filter((s) => mount === undefined || s.originalVolume === mount).map(snapshotView);
  }),
  route('POST', '/api/shadows', (h, _p, b) => {
    b.only('for', 'context');
    return snapshotView(b.has('context') ? h.createShadow(b.string('for'), b.context('context')) : h.createShadow(b.string('for')));
  }),
  route('POST', '/api/shadows/delete', (h, _p, b) => {
    b.only('for', 'all', 'oldest', 'shadow');
    const which = b.has('shadow') ? { shadow: b.guid('shadow') } : b.bool('oldest', false) ? ({ oldest: true } as const) : ({ all: true } as const);
    const volume = b.optString('for');
    if (volume === undefined && 'all' in which) return { deleted: deleteAllClientAccessible(h).map(snapshotView) };
    return { deleted: h.deleteShadows(volume, which).map(snapshotView) };
  }),

  // vssadmin add / resize / delete shadowstorage (IVssDifferentialSoftwareSnapshotMgmt's rules)
  route('GET', '/api/shadowstorage', (h, _p, _b, q) => {
    const v = q.get('for');
    const on = q.get('on');
    const mount = v === null ? undefined : knownVolume(h, v).mountName;
    const onMount = on === null ? undefined : knownVolume(h, on).mountName;
    return h.store
      .diffAreas()
      .filter((d) => (mount === undefined || d.volume === mount) && (onMount === undefined || d.diffAreaVolume === onMount))
      .map(diffAreaView);
  }),
  route('POST', '/api/shadowstorage', (h, _p, b) => {
    b.only('for', 'on', 'maxSize');
    return diffAreaView(h.store.addDiffArea(b.string('for'), b.string('on'), maxSizeOf(h, b)));
  }),
  route('POST', '/api/shadowstorage/resize', (h, _p, b) => {
    b.only('for', 'on', 'maxSize');
    const maxSize = maxSizeOf(h, b);
    const deleted = h.store.changeDiffAreaMaximumSize(b.string('for'), b.string('on'), maxSize).map(snapshotView);
    return { deleted, associations: associationsOf(h, b.string('for'), b.string('on')).map(diffAreaView) };
  }),
  // vssadmin's /On is optional: without it, every association of the volume goes.
  route('POST', '/api/shadowstorage/delete', (h, _p, b) => {
    b.only('for', 'on');
    const doomed = associationsOf(h, b.string('for'), b.optString('on'));
    if (doomed.length === 0) refuse(VSS_E_OBJECT_NOT_FOUND, `${b.string('for')} has no shadow copy storage${b.has('on') ? ` on ${b.string('on')}` : ''}`);
    const deleted = h.store.atomically(() => doomed.flatMap((d) => h.store.changeDiffAreaMaximumSize(d.volume, d.diffAreaVolume, 0n)));
    return { associations: doomed.map(diffAreaView), deleted: deleted.map(snapshotView) };
  }),

  // Requester sessions, step by step
  route('GET', '/api/sessions', (h) => h.sessions().map(sessionSummary)),
  route('POST', '/api/sessions', (h, _p, b) => (b.only(), sessionSummary(h.openSession()))),
  route('GET', '/api/sessions/:id', (h, [id]) => sessionView(h.session(sessionId(id!)))),
  route('DELETE', '/api/sessions/:id', (h, [id]) => ({ deleted: h.releaseSession(sessionId(id!)) })),
  route('POST', '/api/sessions/:id/:step', (h, [id, step], b) => {
    const run = Object.hasOwn(STEPS, step!) ? STEPS[step!] : undefined;
    if (!run) return undefined;
    const s = h.session(sessionId(id!));
    const result = run(s, b, h);
    return { session: sessionSummary(s), result: result ?? null };
  }),

  // Saved Backup Components Documents
  route('GET', '/api/documents', (h) => h.documentNames()),
  route('GET', '/api/documents/:name', (h, [name]) => {
    const xml = h.document(name!);
    return { name, xml, document: documentView(documentFromXml(xml)) };
  }),
  route('PUT', '/api/documents/:name', (h, [name], b) => {
    h.saveDocument(name!, b.only('xml').string('xml', { max: Number.MAX_SAFE_INTEGER }));
    return { name };
  }),
  route('DELETE', '/api/documents/:name', (h, [name]) => (h.deleteDocument(name!), { name })),

  // Scripted faults (issue 16): rules that change the answer of the calls they match
  route('GET', '/api/faults', (h) => h.faults.list().map(faultView)),
  route('POST', '/api/faults', (h, _p, b) => faultView(h.faults.add(b.faultRule(h.faults.settings)))),
  route('DELETE', '/api/faults', (h) => ({ cleared: h.faults.clear() })),
  route('DELETE', '/api/faults/:id', (h, [id]) => {
    const n = /^\d{1,9}$/.test(id!) ? Number(id) : NaN;
    if (!h.faults.remove(n)) refuse(VSS_E_OBJECT_NOT_FOUND, `no fault rule ${JSON.stringify(id)}`);
    return { id: n };
  }),
];
