/**
 * The emulated host as one object: its store, the requester sessions open on it, the
 * Backup Components Documents saved on it, and (with a state directory) what survives a
 * reboot. This is the in-process admin API: the HTTP API and `scmp admin` are doors onto
 * these methods, and MS-SCMP reads the same store, so a change made here is what the next
 * MS-SCMP call sees.
 */
import { randomUUID } from 'node:crypto';
import { refuse, StoreError } from './errors.js';
import { filetimeFromDate } from './filetime.js';
import { HostStore, type HostStoreOptions } from './host-store.js';
import { DEFAULT_FAULT_SETTINGS, FaultRules, type FaultSettings } from './faults.js';
import { E_INVALIDARG, E_OUTOFMEMORY, VSS_E_OBJECT_NOT_FOUND, VSS_E_UNEXPECTED } from '../status/index.js';
import type { HostModel, Snapshot } from './model.js';
import { documentFromXml } from './requester/document-xml.js';
import { RequesterSession } from './requester/session.js';
import { DEFAULT_REQUESTER_SETTINGS, type RequesterSettings } from './requester/settings.js';
import { DEFAULT_STORE_SETTINGS } from './settings.js';
import { afterReboot, SAVED_DOCUMENT_NAME, StateDir } from './state-dir.js';
import { VSS_CTX_CLIENT_ACCESSIBLE, VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE, type Guid } from './vss.js';

export interface EmulatedHostOptions extends HostStoreOptions {
  requester?: Partial<RequesterSettings>;
  /** Where the host keeps what survives a reboot; without one, everything is in memory. */
  stateDir?: string;
  /** Limits of the scripted faults (maxRules, maxDelayMs, maxArgs). */
  faults?: Partial<FaultSettings>;
}

/** What `vssadmin delete shadows` chooses among a volume's shadow copies. */
export type DeleteShadowsSelector = { all: true } | { oldest: true } | { shadow: Guid };

export class EmulatedHost {
  private storeNow: HostStore;
  readonly requesterSettings: Readonly<RequesterSettings>;
  /** Scripted faults (issue 16): rules the RPC runtime consults before each method; volume names resolve in the store of the moment. */
  readonly faults: FaultRules;
  private readonly sessionMap = new Map<Guid, RequesterSession>();
  private readonly savedDocuments = new Map<string, string>();
  private readonly stateDir: StateDir | undefined;
  private readonly newGuid: () => Guid;
  private readonly now: () => bigint;
  private readonly storeOptions: HostStoreOptions;
  /**
   * True when the state directory held a saved state, which then won over the model for the
   * host names, volumes, storage, persistent shadow copies and saved documents.
   */
  readonly restored: boolean = false;

  /**
   * `model` is the host's configuration (the host model file); with a state directory that
   * was written before, the volumes, storage and shadow copies come from it instead, as a
   * machine's disks outlive its first boot.
   */
  constructor(model: HostModel | HostStore, options: EmulatedHostOptions = {}) {
    this.requesterSettings = { ...DEFAULT_REQUESTER_SETTINGS, ...options.requester };
    this.faults = new FaultRules((name) => this.store.resolveVolume(name)?.mountName, { ...DEFAULT_FAULT_SETTINGS, ...options.faults });
    this.newGuid = options.newGuid ?? randomUUID;
    this.now = options.now ?? (() => filetimeFromDate(new Date()));
    this.storeOptions = { settings: options.settings, newGuid: this.newGuid, now: this.now };
    const settings = { ...DEFAULT_STORE_SETTINGS, ...options.settings };
    if (model instanceof HostStore) {
      // A store built elsewhere (a benchmark's generated host): served as it is, in memory.
      if (options.stateDir !== undefined) throw new TypeError('a state directory needs a host model, not a store');
      this.storeNow = this.attach(model);
      return;
    }
    let start = model;
    if (options.stateDir !== undefined) {
      this.stateDir = StateDir.open(options.stateDir, settings);
      const saved = this.stateDir.load(model.writers, this.requesterSettings);
      if (saved) {
        this.restored = true;
        start = saved.model;
        for (const [k, v] of saved.documents) this.savedDocuments.set(k, v);
      }
    }
    this.storeNow = this.attach(new HostStore(start, this.storeOptions));
    // The scene the model sets is on disk from the first moment.
    this.persist();
  }

  /** The store MS-SCMP reads; replaced by a reboot. */
  get store(): HostStore {
    return this.storeNow;
  }

  // -------------------------------------------------------------------------------------
  // Requester sessions

  /** A new IVssBackupComponents instance (CreateVssBackupComponents). */
  openSession(): RequesterSession {
    if (this.sessionMap.size >= this.requesterSettings.maxSessions) refuse(E_OUTOFMEMORY, `${this.requesterSettings.maxSessions} sessions are open, the most this host allows`);
    const id = this.newGuid();
    const session = new RequesterSession(id, { store: this.storeNow, settings: this.requesterSettings, newGuid: this.newGuid, now: this.now });
    this.sessionMap.set(id, session);
    return session;
  }

  session(id: Guid): RequesterSession {
    return this.sessionMap.get(id) ?? refuse(VSS_E_OBJECT_NOT_FOUND, `no session ${id}`);
  }

  sessions(): RequesterSession[] {
    return [...this.sessionMap.values()];
  }

  /** The session's last Release: BackupShutdown; answers the shadow copies it deleted. */
  releaseSession(id: Guid): Guid[] {
    const s = this.session(id);
    this.sessionMap.delete(s.id);
    return s.release();
  }

  // -------------------------------------------------------------------------------------
  // Saved documents

  /** Keeps a Backup Components Document on the host under a name (it must be one). */
  saveDocument(name: string, xml: string): void {
    if (!SAVED_DOCUMENT_NAME.test(name)) refuse(E_INVALIDARG, `document name ${JSON.stringify(name)}: letters, digits, '.', '_' and '-', at most 64`);
    documentFromXml(xml, this.requesterSettings.xml);
    if (!this.savedDocuments.has(name) && this.savedDocuments.size >= this.requesterSettings.maxSavedDocuments) {
      refuse(E_OUTOFMEMORY, `${this.requesterSettings.maxSavedDocuments} documents are saved, the most this host keeps`);
    }
    const total = [...this.savedDocuments].reduce((n, [k, v]) => n + (k === name ? 0 : v.length), xml.length);
    if (total > this.requesterSettings.maxSavedDocumentChars) {
      refuse(E_OUTOFMEMORY, `saved documents would hold ${total} characters, more than the ${this.requesterSettings.maxSavedDocumentChars} this host keeps`);
    }
    const before = this.savedDocuments.get(name);
    this.savedDocuments.set(name, xml);
    this.commitOr(() => (before === undefined ? this.savedDocuments.delete(name) : this.savedDocuments.set(name, before)));
  }

  document(name: string): string {
    return this.savedDocuments.get(name) ?? refuse(VSS_E_OBJECT_NOT_FOUND, `no saved document ${JSON.stringify(name)}`);
  }

  documentNames(): string[] {
    return [...this.savedDocuments.keys()].sort();
  }

  deleteDocument(name: string): void {
    const before = this.document(name);
    this.savedDocuments.delete(name);
    this.commitOr(() => this.savedDocuments.set(name, before));
  }

  // -------------------------------------------------------------------------------------
  // vssadmin

  /**
   * `vssadmin create shadow /for=VOLUME`: a client-accessible shadow copy (what vssadmin
   * makes on Windows Server), the volume's oldest ones deleted past the per-volume maximum.
   */
  createShadow(volume: string, context: number = VSS_CTX_CLIENT_ACCESSIBLE): Snapshot {
    return this.storeNow.addSnapshot({ volume, context, sizeBytes: this.requesterSettings.newSnapshotBytes });
  }

  /**
   * `vssadmin delete shadows /for=VOLUME /all | /oldest`, or `/shadow=ID`. As vssadmin,
   * it deletes only client-accessible shadow copies; any other is "not found".
   */
  deleteShadows(volume: string | undefined, which: DeleteShadowsSelector): Snapshot[] {
    const store = this.storeNow;
    const accessible = (s: Snapshot) => (s.attributes & VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE) !== 0;
    if ('shadow' in which) {
      const s = store.snapshot(which.shadow);
      if (!s || !accessible(s)) refuse(VSS_E_OBJECT_NOT_FOUND, `no client-accessible shadow copy ${which.shadow}`);
      if (volume !== undefined && store.resolveVolume(volume)?.mountName !== s.originalVolume) refuse(VSS_E_OBJECT_NOT_FOUND, `shadow copy ${which.shadow} is not of ${volume}`);
      return [store.deleteSnapshot(s.id)];
    }
    if (volume === undefined) refuse(E_INVALIDARG, 'for: a volume is needed with all or oldest');
    const v = store.resolveVolume(volume) ?? refuse(VSS_E_OBJECT_NOT_FOUND, `${JSON.stringify(volume)} is not a volume of this host`);
    const copies = store.snapshots().filter((s) => s.originalVolume === v.mountName && accessible(s));
    const doomed = 'all' in which ? copies : copies.slice(0, 1);
    if (doomed.length === 0) refuse(VSS_E_OBJECT_NOT_FOUND, `${v.displayName} has no client-accessible shadow copy`);
    return store.atomically(() => doomed.map((s) => store.deleteSnapshot(s.id)));
  }

  // -------------------------------------------------------------------------------------
  // Reboot

  /**
   * A simulated reboot: open sessions vanish (no BackupShutdown runs), non-persistent
   * shadow copies are gone, the rest comes back as the state directory holds it.
   */
  reboot(): void {
    this.sessionMap.clear();
    const model = afterReboot(this.storeNow.model(), this.storeNow.settings);
    this.storeNow = this.attach(new HostStore(model, this.storeOptions));
    this.persist();
  }

  // -------------------------------------------------------------------------------------
  // Internals

  private attach(store: HostStore): HostStore {
    store.onCommit = () => this.persist();
    return store;
  }

  /** Writes the state; a failure is the caller's VSS_E_UNEXPECTED, and the change is undone. */
  private persist(): void {
    if (!this.stateDir) return;
    try {
      this.stateDir.save(this.storeNow.model(), this.savedDocuments);
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError(VSS_E_UNEXPECTED, `the state could not be saved: ${(e as Error).message}`);
    }
  }

  private commitOr(undo: () => void): void {
    try {
      this.persist();
    } catch (e) {
      undo();
      throw e;
    }
  }
}
