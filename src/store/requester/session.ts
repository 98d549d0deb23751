/**
 * One requester session: what one IVssBackupComponents instance does on a Windows host,
 * from InitializeForBackup or InitializeForRestore to its release. It owns the Backup
 * Components Document, raises the writers' events with their components, and makes and
 * releases shadow copies through the host store. Every refusal is a StoreError with the
 * HRESULT the VSS API documents, and a refused call changes nothing.
 *
 * The rules, each tested by name in test/store/requester.test.ts:
 * - nothing but InitializeForBackup/InitializeForRestore (and release) before one of them;
 * - explicit and implicit inclusion follow the components' logical paths and selectability;
 * - restore uses restore selectability, and writes a component implicitly included at
 *   backup into the document when the requester adds it for restore;
 * - writers change the document only in the events that allow it; from BackupComplete
 *   (and after PostRestore) the document is read-only;
 * - a snapshot set holds at most maxSnapshotsPerSet volumes, each once, each volume below
 *   the host's per-volume maximum;
 * - releasing the session raises BackupShutdown and deletes its auto-release shadow copies.
 */
import { refuse } from '../errors.js';
import type { HostStore } from '../host-store.js';
import type { Snapshot } from '../model.js';
import {
  E_INVALIDARG,
  VSS_E_BAD_STATE,
  VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED,
  VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED,
  VSS_E_NO_SNAPSHOTS_IMPORTED,
  VSS_E_OBJECT_ALREADY_EXISTS,
  VSS_E_OBJECT_NOT_FOUND,
  VSS_E_SNAPSHOT_SET_IN_PROGRESS,
  VSS_E_UNSUPPORTED_CONTEXT,
  VSS_E_VOLUME_NOT_SUPPORTED,
} from '../../status/index.js';
import {
  GUID_NULL,
  SYSTEM_PROVIDER_CONTEXTS,
  VSS_CTX_ALL,
  VSS_SYSTEM_PROVIDER_ID,
  contextOfAttributes,
  TRANSPORT_ATTRIBUTES,
  VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE,
  VSS_VOLSNAP_ATTR_NO_WRITERS,
  VSS_VOLSNAP_ATTR_TRANSPORTABLE,
  type Guid,
} from '../vss.js';
import { ancestorsOf, fullPathOf, sameComponent, topLevelComponents, type ComponentType, type Writer, type WriterComponent, type WriterEvent } from '../writers.js';
import { cloneDocument, emptyDocument, type BackupComponentsDocument, type BackupType, type DocComponent, type DocWriter, type FileRestoreStatus } from './document.js';
import { documentFromXml, documentToXml } from './document-xml.js';
import type { RequesterSettings } from './settings.js';
import { writerMetadataToXml } from './writer-metadata-xml.js';
import { WriterEvents, type WriterEventRecord, type WriterStatus } from './writer-events.js';

export { VSS_WS_STABLE, type WriterEventRecord, type WriterStatus } from './writer-events.js';

export type Phase =
  /** Created; only an Initialize call is accepted. */
  | 'created'
  /** Initialized; metadata may be gathered, components added, a snapshot set built. */
  | 'initialized'
  /** PrepareForBackup done: writers have their components. */
  | 'prepared'
  /** DoSnapshotSet (or ImportSnapshots) done. */
  | 'snapshotted'
  /** BackupComplete done: the document is read-only. */
  | 'completed'
  | 'aborted'
  /** PreRestore done. */
  | 'restoring'
  /** PostRestore done: the document is read-only. */
  | 'restored'
  | 'released';

/** What a writer's metadata document tells a requester (GetWriterMetadata). */
export interface WriterMetadata {
  writerId: Guid;
  instanceId: Guid;
  name: string;
  components: WriterComponent[];
  /** The Writer Metadata Document itself, as IVssExamineWriterMetadata::SaveAsXML gives it. */
  xml: string;
}

/** Names one component, as every IVssBackupComponents call taking one does. */
export interface ComponentRef {
  instanceId?: Guid;
  writerId: Guid;
  type: ComponentType;
  logicalPath: string;
  name: string;
}

export interface BackupState {
  selectComponents: boolean;
  bootableSystemState: boolean;
  backupType: BackupType;
  partialFileSupport: boolean;
}

/** VSS_OBJECT_TYPE of vss.h for DeleteSnapshots: VSS_OBJECT_SNAPSHOT_SET 2, VSS_OBJECT_SNAPSHOT 3. */
export type DeleteTarget = 'snapshot' | 'set';

export interface SessionHost {
  store: HostStore;
  settings: Readonly<RequesterSettings>;
  newGuid: () => Guid;
  now: () => bigint;
}

/** The pending volume of a snapshot set and the id AddToSnapshotSet promised for it. */
interface PendingCopy {
  snapshotId: Guid;
  volume: string;
  volumeDisplay: string;
  providerId: Guid;
}


export class RequesterSession {
  private phaseNow: Phase = 'created';
  private modeNow: 'backup' | 'restore' | undefined;
  private doc: BackupComponentsDocument = emptyDocument();
  private gathered = false;
  private contextSet = false;
  private backupStateSet = false;
  private setId: Guid | undefined;
  private pending: PendingCopy[] = [];
  private readonly made: Guid[] = [];
  private readonly writerEvents = new WriterEvents();

  /** What each writer received in each event, in order. */
  get events(): WriterEventRecord[] {
    return this.writerEvents.events;
  }

  constructor(
    readonly id: Guid,
    private readonly host: SessionHost,
  ) {}

  get phase(): Phase {
    return this.phaseNow;
  }

  get mode(): 'backup' | 'restore' | undefined {
    return this.modeNow;
  }

  /** The session's context: the document records it (SetContext, or the loaded document's). */
  get context(): number {
    return this.doc.context;
  }

  get snapshotSetId(): Guid | undefined {
    return this.setId;
  }

  /** The shadow copies this session made or imported, in order. */
  get snapshotIds(): Guid[] {
    return [...this.made];
  }

  /** A copy of the Backup Components Document as it stands. */
  document(): BackupComponentsDocument {
    return cloneDocument(this.doc);
  }

  // -------------------------------------------------------------------------------------
  // Initialization and writer metadata

  /** InitializeForBackup: an empty document, or the one a saved XML copy describes. */
  initializeForBackup(xml?: string): void {
    this.expectPhase(['created'], 'InitializeForBackup');
    const doc = xml === undefined ? emptyDocument() : documentFromXml(xml, this.host.settings.xml);
    if (doc.snapshotSet) doc.context = doc.snapshotSet.context;
    this.doc = doc;
    this.modeNow = 'backup';
    this.phaseNow = 'initialized';
  }

  /** InitializeForRestore: the document of the backup being restored, which is required. */
  initializeForRestore(xml: string): void {
    this.expectPhase(['created'], 'InitializeForRestore');
    const doc = documentFromXml(xml, this.host.settings.xml);
    for (const w of doc.writers) for (const c of w.components) c.selectedForRestore = false;
    this.doc = doc;
    this.modeNow = 'restore';
    this.phaseNow = 'initialized';
  }

  /** SetContext: before the snapshot set starts; a system provider context, or VSS_CTX_ALL to query and delete. */
  setContext(context: number): void {
    this.expectPhase(['initialized'], 'SetContext');
    this.expectMode('backup', 'SetContext');
    if (this.setId !== undefined) refuse(VSS_E_BAD_STATE, 'SetContext after StartSnapshotSet');
    if (this.contextSet) refuse(VSS_E_BAD_STATE, 'SetContext may be called once');
    const base = context & ~VSS_VOLSNAP_ATTR_TRANSPORTABLE;
    if (context !== VSS_CTX_ALL && !SYSTEM_PROVIDER_CONTEXTS.includes(base)) refuse(E_INVALIDARG, `lContext 0x${(context >>> 0).toString(16)} is not a shadow copy context`);
    this.doc.context = context;
    this.contextSet = true;
  }

  /** SetBackupState: component selection, bootable system state, backup type, partial files. */
  setBackupState(state: BackupState): void {
    this.expectPhase(['initialized'], 'SetBackupState');
    this.expectMode('backup', 'SetBackupState');
    Object.assign(this.doc, state);
    this.backupStateSet = true;
  }

  /** GatherWriterMetadata (with GetWriterMetadata): every writer's Writer Metadata Document. */
  gatherWriterMetadata(): WriterMetadata[] {
    this.expectPhase(['initialized'], 'GatherWriterMetadata');
    if (this.gathered) refuse(VSS_E_BAD_STATE, 'GatherWriterMetadata may be called once per session');
    this.gathered = true;
    const writers = this.writers();
    this.writerEvents.identify(writers);
    return writers.map((w) => ({
      writerId: w.id,
      instanceId: w.instanceId,
      name: w.name,
      components: w.components.map((c) => ({ ...c, files: c.files.map((f) => ({ ...f })) })),
      xml: writerMetadataToXml(w),
    }));
  }

  /** GatherWriterStatus: each writer's state and failure. */
  writerStatus(): WriterStatus[] {
    this.expectInitialized('GatherWriterStatus');
    if (!this.gathered) refuse(VSS_E_BAD_STATE, 'GatherWriterStatus before GatherWriterMetadata');
    return this.writerEvents.status();
  }

  // -------------------------------------------------------------------------------------
  // Components

  /**
   * AddComponent (backup, component mode): a component with no selectable ancestor, or a
   * selectable one whose selectable ancestors are not included, goes into the document. One
   * under an included selectable ancestor is implicitly included already; a nonselectable
   * one under a selectable ancestor can only be.
   */
  addComponent(ref: ComponentRef): void {
    this.expectMode('backup', 'AddComponent');
    this.expectPhase(['initialized'], 'AddComponent');
    if (!this.gathered) refuse(VSS_E_BAD_STATE, 'AddComponent before GatherWriterMetadata');
    if (!this.backupStateSet || !this.doc.selectComponents) refuse(VSS_E_BAD_STATE, 'AddComponent outside component mode (SetBackupState with selectComponents)');
    const { writer, component } = this.findComponent(ref, E_INVALIDARG);
    const dw = this.docWriterOf(writer);
    if (dw?.components.some((c) => sameComponent(c, component))) refuse(VSS_E_OBJECT_ALREADY_EXISTS, `${fullPathOf(component)} is in the document already`);
    const ancestors = ancestorsOf(writer, component);
    const includedAncestor = ancestors.find((a) => a.selectable && dw?.components.some((c) => sameComponent(c, a)));
    if (includedAncestor) refuse(VSS_E_OBJECT_ALREADY_EXISTS, `${fullPathOf(component)} is implicitly included with ${fullPathOf(includedAncestor)}`);
    if (!component.selectable && ancestors.some((a) => a.selectable)) {
      refuse(E_INVALIDARG, `${fullPathOf(component)} is a nonselectable subcomponent: it is backed up only with its selectable ancestor`);
    }
    const target = dw ?? this.addDocWriter(writer);
    // Its explicitly included selectable descendants become members of its component set.
    target.components = target.components.filter((c) => !(ancestorsOf(writer, c).some((a) => sameComponent(a, component)) && this.isSelectable(writer, c)));
    target.components.push(newDocComponent(component));
  }

  /**
   * AddRestoreSubcomponent: a component implicitly included at backup (under `ancestor`,
   * which is in the document) restored on its own; it must be selectable for restore.
   * It is written into the document, under its ancestor's entry.
   */
  addRestoreSubcomponent(ancestor: ComponentRef, sub: { logicalPath: string; name: string }, repair = false): void {
    this.expectMode('restore', 'AddRestoreSubcomponent');
    this.expectPhase(['initialized'], 'AddRestoreSubcomponent');
    const { writer, component } = this.findComponent(ancestor);
    const entry = this.docComponent(writer, component);
    const subcomponent = writer.components.find((c) => sameComponent(c, sub));
    if (!subcomponent || !ancestorsOf(writer, subcomponent).some((a) => sameComponent(a, component))) {
      refuse(VSS_E_OBJECT_NOT_FOUND, `${fullPathOf(sub)} is not a subcomponent of ${fullPathOf(component)}`);
    }
    if (!subcomponent.selectableForRestore) refuse(VSS_E_OBJECT_NOT_FOUND, `${fullPathOf(sub)} is not selectable for restore`);
    const list = (entry.restoreSubcomponents ??= []);
    if (list.some((x) => sameComponent(x, subcomponent))) refuse(VSS_E_OBJECT_ALREADY_EXISTS, `${fullPathOf(sub)} is added for restore already`);
    list.push({ logicalPath: subcomponent.logicalPath, name: subcomponent.name, repair });
  }

  /** SetSelectedForRestore: any component the document names explicitly. */
  setSelectedForRestore(ref: ComponentRef, selected: boolean): void {
    this.expectMode('restore', 'SetSelectedForRestore');
    this.expectPhase(['initialized'], 'SetSelectedForRestore');
    const { writer, component } = this.findComponent(ref);
    // Every explicitly included component may be selected, whatever its restore selectability.
    this.docComponent(writer, component).selectedForRestore = selected;
  }

  /** SetBackupSucceeded: after DoSnapshotSet, on a component in the document. */
  setBackupSucceeded(ref: ComponentRef, succeeded: boolean): void {
    this.expectMode('backup', 'SetBackupSucceeded');
    this.expectWritable('SetBackupSucceeded');
    this.expectPhase(['snapshotted'], 'SetBackupSucceeded');
    const { writer, component } = this.findComponent(ref);
    this.docComponent(writer, component).backupSucceeded = succeeded;
  }

  /** SetBackupOptions: a private string for the writer, before PrepareForBackup. */
  setBackupOptions(ref: ComponentRef, options: string): void {
    this.expectMode('backup', 'SetBackupOptions');
    this.expectPhase(['initialized'], 'SetBackupOptions');
    const { writer, component } = this.findComponent(ref);
    this.docComponent(writer, component).backupOptions = options;
  }

  /** SetFileRestoreStatus: after PreRestore, before PostRestore. */
  setFileRestoreStatus(ref: ComponentRef, status: FileRestoreStatus): void {
    this.expectMode('restore', 'SetFileRestoreStatus');
    this.expectPhase(['restoring'], 'SetFileRestoreStatus');
    const { writer, component } = this.findComponent(ref);
    const c = this.docComponent(writer, component);
    if (!c.selectedForRestore) refuse(VSS_E_BAD_STATE, `${fullPathOf(component)} is not selected for restore`);
    c.fileRestoreStatus = status;
  }

  // -------------------------------------------------------------------------------------
  // Snapshot sets

  /** StartSnapshotSet: one set per session, in the session's context. */
  startSnapshotSet(): Guid {
    this.expectMode('backup', 'StartSnapshotSet');
    this.expectPhase(['initialized', 'prepared'], 'StartSnapshotSet');
    if (this.setId !== undefined) refuse(VSS_E_SNAPSHOT_SET_IN_PROGRESS, 'a snapshot set is being built');
    if (this.doc.context === VSS_CTX_ALL) refuse(VSS_E_UNSUPPORTED_CONTEXT, 'VSS_CTX_ALL is for queries and deletion, not for a new snapshot set');
    this.setId = this.host.newGuid();
    return this.setId;
  }

  /**
   * AddToSnapshotSet: a volume by any name MS-SCMP accepts, with a provider (GUID_NULL:
   * the system provider). Answers the id the shadow copy will have.
   */
  addToSnapshotSet(volumeName: string, providerId: Guid = GUID_NULL): Guid {
    this.expectMode('backup', 'AddToSnapshotSet');
    if (this.setId === undefined || this.phaseNow === 'snapshotted') refuse(VSS_E_BAD_STATE, 'AddToSnapshotSet outside a snapshot set being built');
    this.expectPhase(['initialized', 'prepared'], 'AddToSnapshotSet');
    const store = this.host.store;
    const v = store.resolveVolume(volumeName);
    if (!v) refuse(VSS_E_OBJECT_NOT_FOUND, `${JSON.stringify(volumeName)} is not a volume of this host`);
    const provider = providerId === GUID_NULL ? VSS_SYSTEM_PROVIDER_ID : providerId;
    if (!store.provider(provider)) refuse(VSS_E_OBJECT_NOT_FOUND, `no provider ${providerId}`);
    const base = this.doc.context & ~VSS_VOLSNAP_ATTR_TRANSPORTABLE;
    if (!v.snapshotContexts.includes(base)) refuse(VSS_E_VOLUME_NOT_SUPPORTED, `${v.displayName} takes no shadow copy in context 0x${base.toString(16)}`);
    if (this.pending.some((p) => p.volume === v.mountName)) refuse(VSS_E_OBJECT_ALREADY_EXISTS, `${v.displayName} is in the set already`);
    if (this.pending.length >= this.host.settings.maxSnapshotsPerSet) refuse(VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED, `a snapshot set holds at most ${this.host.settings.maxSnapshotsPerSet} shadow copies`);
    const onVolume = store.snapshots().filter((s) => s.originalVolume === v.mountName).length;
    if (onVolume >= store.settings.maxSnapshotsPerVolume) refuse(VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED, `${v.displayName} has ${onVolume} shadow copies, the most it keeps`);
    const snapshotId = this.host.newGuid();
    this.pending.push({ snapshotId, volume: v.mountName, volumeDisplay: v.displayName, providerId: provider });
    return snapshotId;
  }

  /** PrepareForBackup: the writers' PrepareBackup, with their components. */
  prepareForBackup(): void {
    this.expectMode('backup', 'PrepareForBackup');
    this.expectPhase(['initialized'], 'PrepareForBackup');
    if (!this.backupStateSet) refuse(VSS_E_BAD_STATE, 'PrepareForBackup before SetBackupState');
    if (this.setId === undefined) refuse(VSS_E_BAD_STATE, 'PrepareForBackup before StartSnapshotSet');
    if (this.involvesWriters()) {
      if (!this.gathered) refuse(VSS_E_BAD_STATE, 'PrepareForBackup before GatherWriterMetadata');
      this.includeTopLevel();
    }
    this.phaseNow = 'prepared';
    this.raise('PrepareBackup');
  }

  /**
   * DoSnapshotSet: every shadow copy of the set at one instant, atomically (a refusal
   * makes none), then PrepareSnapshot, Freeze, Thaw and PostSnapshot for the writers.
   */
  doSnapshotSet(): Snapshot[] {
    this.expectMode('backup', 'DoSnapshotSet');
    if (this.setId === undefined || this.pending.length === 0) refuse(VSS_E_BAD_STATE, 'DoSnapshotSet without a snapshot set holding a volume');
    if (this.involvesWriters()) this.expectPhase(['prepared'], 'DoSnapshotSet');
    else this.expectPhase(['initialized', 'prepared'], 'DoSnapshotSet');
    const setId = this.setId;
    const store = this.host.store;
    const base = this.doc.context & ~VSS_VOLSNAP_ATTR_TRANSPORTABLE;
    const extra = this.doc.context & VSS_VOLSNAP_ATTR_TRANSPORTABLE;
    const creationTime = this.host.now();
    this.raise('PrepareSnapshot');
    this.raise('Freeze');
    const made = store.atomically(() =>
      this.pending.map((p) =>
        store.addSnapshot({
          id: p.snapshotId,
          setId,
          countInSet: this.pending.length,
          volume: p.volume,
          context: base,
          extraAttributes: extra,
          sizeBytes: this.host.settings.newSnapshotBytes,
          creationTime,
          providerId: p.providerId,
        }),
      ),
    );
    this.made.push(...made.map((s) => s.id));
    this.doc.snapshotSet = {
      setId,
      context: this.doc.context,
      snapshots: made.map((s, i) => ({
        id: s.id,
        providerId: s.providerId,
        attributes: s.attributes,
        originalVolume: s.originalVolume,
        originalVolumeDisplay: this.pending[i]!.volumeDisplay,
        deviceObject: s.deviceObject,
        originatingMachine: s.originatingMachine,
        serviceMachine: s.serviceMachine,
        creationTime: s.creationTime,
      })),
    };
    this.pending = [];
    this.phaseNow = 'snapshotted';
    this.raise('Thaw');
    this.raise('PostSnapshot');
    return made;
  }

  /** BackupComplete: the writers' BackupComplete; from here the document is read-only. */
  backupComplete(): void {
    this.expectMode('backup', 'BackupComplete');
    this.expectPhase(['snapshotted'], 'BackupComplete');
    this.phaseNow = 'completed';
    this.raise('BackupComplete');
  }

  /**
   * AbortBackup: writers get Abort and the backup ends; no BackupComplete follows. The
   * shadow copies made so far go as the VSS API lets them: auto-release ones at the
   * session's release (BackupShutdown), the others by DeleteSnapshots.
   */
  abortBackup(): void {
    this.expectMode('backup', 'AbortBackup');
    if (this.phaseNow === 'aborted') return;
    this.expectPhase(['initialized', 'prepared', 'snapshotted'], 'AbortBackup');
    this.raise('Abort');
    this.phaseNow = 'aborted';
    this.pending = [];
  }

  /**
   * DeleteSnapshots: one shadow copy or a whole set, among those the session's context
   * sees (VSS_CTX_ALL sees all). Answers how many went; a set of which none is visible is
   * VSS_E_OBJECT_NOT_FOUND.
   */
  deleteSnapshots(id: Guid, target: DeleteTarget): { deleted: number; nonDeleted: Guid } {
    this.expectInitialized('DeleteSnapshots');
    const store = this.host.store;
    const visible = store.snapshots().filter((s) => this.doc.context === VSS_CTX_ALL || contextOfAttributes(s.attributes) === (this.doc.context & ~VSS_VOLSNAP_ATTR_TRANSPORTABLE));
    const doomed = visible.filter((s) => (target === 'snapshot' ? s.id === id : s.setId === id));
    if (doomed.length === 0) refuse(VSS_E_OBJECT_NOT_FOUND, `no ${target === 'snapshot' ? 'shadow copy' : 'snapshot set'} ${id} in this context`);
    store.atomically(() => doomed.forEach((s) => store.deleteSnapshot(s.id)));
    return { deleted: doomed.length, nonDeleted: GUID_NULL };
  }

  /**
   * ImportSnapshots: the transportable shadow copies the document describes, brought onto
   * this host's volumes (same mount name, else same display name), marked imported. The
   * session continues as after DoSnapshotSet.
   */
  importSnapshots(): Snapshot[] {
    this.expectMode('backup', 'ImportSnapshots');
    this.expectPhase(['initialized'], 'ImportSnapshots');
    const set = this.doc.snapshotSet;
    if (!set || set.snapshots.length === 0) refuse(VSS_E_BAD_STATE, 'the document describes no snapshot set');
    if ((set.context & VSS_VOLSNAP_ATTR_TRANSPORTABLE) === 0) refuse(VSS_E_BAD_STATE, 'the snapshot set is not transportable');
    const store = this.host.store;
    const target = (s: (typeof set.snapshots)[number]) => store.resolveVolume(s.originalVolume) ?? store.resolveVolume(s.originalVolumeDisplay);
    const importable = set.snapshots.filter((s) => target(s) !== undefined && !store.snapshot(s.id));
    if (importable.length === 0) refuse(VSS_E_NO_SNAPSHOTS_IMPORTED, 'no shadow copy of the set has a volume here');
    const made = store.atomically(() =>
      importable.map((s) =>
        store.addSnapshot({
          id: s.id,
          setId: set.setId,
          countInSet: set.snapshots.length,
          volume: target(s)!.mountName,
          context: contextOfAttributes(s.attributes),
          extraAttributes: TRANSPORT_ATTRIBUTES,
          originatingMachine: s.originatingMachine,
          sizeBytes: this.host.settings.newSnapshotBytes,
          creationTime: s.creationTime,
          providerId: s.providerId,
        }),
      ),
    );
    this.made.push(...made.map((s) => s.id));
    this.setId = set.setId;
    this.phaseNow = 'snapshotted';
    return made;
  }

  // -------------------------------------------------------------------------------------
  // Restore

  /** PreRestore: writers get the components selected for restore. */
  preRestore(): void {
    this.expectMode('restore', 'PreRestore');
    this.expectPhase(['initialized'], 'PreRestore');
    if (!this.gathered) refuse(VSS_E_BAD_STATE, 'PreRestore before GatherWriterMetadata');
    this.phaseNow = 'restoring';
    this.raise('PreRestore');
  }

  /** PostRestore: writers finish; from here the document is read-only. */
  postRestore(): void {
    this.expectMode('restore', 'PostRestore');
    this.expectPhase(['restoring'], 'PostRestore');
    this.raise('PostRestore');
    this.phaseNow = 'restored';
  }

  // -------------------------------------------------------------------------------------
  // The document and the end of the session

  /** SaveAsXML: the document in the Backup Components Document's XML shape. */
  saveAsXml(): string {
    this.expectInitialized('SaveAsXML');
    // Writers fill the document in from PrepareBackup on; before it there is nothing to save.
    if (this.modeNow === 'backup' && this.phaseNow === 'initialized' && this.made.length === 0) refuse(VSS_E_BAD_STATE, 'SaveAsXML before PrepareForBackup');
    return documentToXml(this.doc);
  }

  /**
   * The session's end (the last Release of IVssBackupComponents): writers that took part
   * get BackupShutdown, and every auto-release shadow copy the session made is deleted;
   * those with VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE stay. The document goes with the session.
   */
  release(): Guid[] {
    if (this.phaseNow === 'released') return [];
    let deleted: Guid[] = [];
    if (this.modeNow === 'backup') {
      this.raise('BackupShutdown');
      deleted = this.deleteAutoRelease();
    }
    this.phaseNow = 'released';
    this.pending = [];
    return deleted;
  }

  // -------------------------------------------------------------------------------------
  // Internals

  private writers(): Writer[] {
    return this.host.store.writers();
  }

  private involvesWriters(): boolean {
    return this.doc.context === VSS_CTX_ALL || (this.doc.context & VSS_VOLSNAP_ATTR_NO_WRITERS) === 0;
  }

  private deleteAutoRelease(): Guid[] {
    const store = this.host.store;
    const doomed = this.made.map((id) => store.snapshot(id)).filter((s): s is Snapshot => s !== undefined && (s.attributes & VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE) === 0);
    if (doomed.length > 0) store.atomically(() => doomed.forEach((s) => store.deleteSnapshot(s.id)));
    return doomed.map((s) => s.id);
  }

  /** The mandatory components (and, without component selection, every top-level one) go in. */
  private includeTopLevel(): void {
    for (const w of this.writers()) {
      // In component mode a writer takes part when the requester chose one of its
      // components, and then its required ones go in too; otherwise every writer does.
      if (this.doc.selectComponents && !this.docWriterOf(w)?.components.length) continue;
      for (const c of topLevelComponents(w, !this.doc.selectComponents)) {
        const dw = this.docWriterOf(w) ?? this.addDocWriter(w);
        if (!dw.components.some((x) => sameComponent(x, c))) dw.components.push(newDocComponent(c));
      }
    }
  }

  private isSelectable(w: Writer, c: { logicalPath: string; name: string }): boolean {
    return w.components.find((x) => sameComponent(x, c))?.selectable ?? false;
  }

  /** Writers take part in an event when the document names components of theirs. */
  private raise(event: WriterEvent): void {
    if (!this.involvesWriters()) return;
    const restoring = event === 'PreRestore' || event === 'PostRestore';
    this.writerEvents.raise(event, this.writers(), (w) => (this.docWriterOf(w)?.components ?? []).filter((c) => !restoring || c.selectedForRestore));
  }

  private findComponent(ref: ComponentRef, notFound = VSS_E_OBJECT_NOT_FOUND): { writer: Writer; component: WriterComponent } {
    const writers = this.writers().filter((w) => w.id === ref.writerId && (ref.instanceId === undefined || ref.instanceId === GUID_NULL || w.instanceId === ref.instanceId));
    if (writers.length === 0) refuse(notFound, `no writer ${ref.writerId}`);
    for (const writer of writers) {
      const component = writer.components.find((c) => sameComponent(c, ref));
      if (component) {
        if (component.type !== ref.type) refuse(E_INVALIDARG, `${fullPathOf(ref)} is a ${component.type}, not a ${ref.type}`);
        return { writer, component };
      }
    }
    return refuse(notFound, `writer ${ref.writerId} has no component ${fullPathOf(ref)}`);
  }

  private docWriterOf(w: Writer): DocWriter | undefined {
    return this.doc.writers.find((x) => x.instanceId === w.instanceId);
  }

  private addDocWriter(w: Writer): DocWriter {
    const dw: DocWriter = { writerId: w.id, instanceId: w.instanceId, components: [] };
    this.doc.writers.push(dw);
    return dw;
  }

  private docComponent(w: Writer, c: WriterComponent): DocComponent {
    return this.docWriterOf(w)?.components.find((x) => sameComponent(x, c)) ?? refuse(VSS_E_OBJECT_NOT_FOUND, `${fullPathOf(c)} is not in the document`);
  }

  private expectInitialized(call: string): void {
    if (this.phaseNow === 'created') refuse(VSS_E_BAD_STATE, `${call} before InitializeForBackup or InitializeForRestore`);
    if (this.phaseNow === 'released') refuse(VSS_E_BAD_STATE, `${call} after the session was released`);
  }

  private expectPhase(allowed: Phase[], call: string): void {
    if (allowed.includes(this.phaseNow)) return;
    this.expectInitialized(call);
    this.expectWritable(call);
    refuse(VSS_E_BAD_STATE, `${call} is not allowed in phase ${this.phaseNow}`);
  }

  private expectMode(mode: 'backup' | 'restore', call: string): void {
    this.expectInitialized(call);
    if (this.modeNow !== mode) refuse(VSS_E_BAD_STATE, `${call} belongs to a ${mode} session`);
  }

  private expectWritable(call: string): void {
    if (this.phaseNow === 'completed' || this.phaseNow === 'restored') refuse(VSS_E_BAD_STATE, `${call}: the document is read-only after ${this.phaseNow === 'completed' ? 'BackupComplete' : 'PostRestore'}`);
  }
}

function newDocComponent(c: WriterComponent): DocComponent {
  return { logicalPath: c.logicalPath, name: c.name, type: c.type, backupSucceeded: false, selectedForRestore: false };
}

