/**
 * The writers' side of a session: each writer's state (VSS_WRITER_STATE and failure, what
 * GatherWriterStatus reports), the events raised on them in order with the components each
 * received, and their scripts run where the life cycle lets a writer act.
 */
import { S_OK } from '../../status/index.js';
import type { Guid } from '../vss.js';
import { fullPathOf, type Writer, type WriterEvent } from '../writers.js';
import type { DocComponent } from './document.js';

/** VSS_WRITER_STATE of vss.h. */
export const VSS_WS_STABLE = 1;
const FAILED_AT: Partial<Record<WriterEvent, number>> = {
  Identify: 6,
  PrepareBackup: 7,
  PrepareSnapshot: 8,
  Freeze: 9,
  Thaw: 10,
  PostSnapshot: 11,
  BackupComplete: 12,
  PreRestore: 13,
  PostRestore: 14,
  BackupShutdown: 15,
};

/** The events that hand writers the document (backup-components-document-life-cycle). */
const WITH_DOCUMENT: ReadonlySet<WriterEvent> = new Set(['PrepareBackup', 'PrepareSnapshot', 'PostSnapshot', 'BackupComplete', 'PreRestore', 'PostRestore']);
/** Those in which a writer may still change it: until PostSnapshot and PostRestore have finished. */
const WRITER_MAY_CHANGE: ReadonlySet<WriterEvent> = new Set(['PrepareBackup', 'PrepareSnapshot', 'PostSnapshot', 'PreRestore', 'PostRestore']);

export interface WriterStatus {
  writerId: Guid;
  instanceId: Guid;
  name: string;
  /** VSS_WRITER_STATE. */
  state: number;
  /** S_OK, or the VSS_E_WRITERERROR_* a script vetoed with. */
  failure: number;
}

/** What one writer received in one event, and what its script did there. */
export interface WriterEventRecord {
  event: WriterEvent;
  writerId: Guid;
  instanceId: Guid;
  /** Full paths of the writer's components in the document, as the event hands them over (none in events without the document). */
  components: string[];
  /** At restore: subcomponents added with AddRestoreSubcomponent, by full path. */
  subcomponents?: string[];
  /** A veto's HRESULT. */
  vetoed?: number;
  /** Changes the script tried while the document was read-only: refused with VSS_E_BAD_STATE. */
  refusedChanges?: string[];
}


export class WriterEvents {
  readonly events: WriterEventRecord[] = [];
  private readonly statuses = new Map<Guid, WriterStatus>();

  /** GatherWriterMetadata: every writer's Identify, and a stable state to start from. */
  identify(writers: readonly Writer[]): void {
    for (const w of writers) {
      if (!this.statuses.has(w.instanceId)) this.statuses.set(w.instanceId, { writerId: w.id, instanceId: w.instanceId, name: w.name, state: VSS_WS_STABLE, failure: S_OK });
      this.events.push({ event: 'Identify', writerId: w.id, instanceId: w.instanceId, components: [] });
    }
  }

  /** GatherWriterStatus. */
  status(): WriterStatus[] {
    return [...this.statuses.values()].map((s) => ({ ...s }));
  }

  /**
   * Raises `event` on every writer with components (as `componentsOf` gives them, the
   * document's own entries, which a script may change) that has not failed; a veto fails
   * the writer for the rest of the session.
   */
  raise(event: WriterEvent, writers: readonly Writer[], componentsOf: (w: Writer) => DocComponent[]): void {
    const restoring = event === 'PreRestore' || event === 'PostRestore';
    for (const w of writers) {
      const comps = componentsOf(w);
      if (comps.length === 0) continue;
      const status = this.statuses.get(w.instanceId);
      if (status && status.failure !== S_OK) continue;
      const record: WriterEventRecord = { event, writerId: w.id, instanceId: w.instanceId, components: WITH_DOCUMENT.has(event) ? comps.map(fullPathOf) : [] };
      const subs = restoring ? comps.flatMap((c) => (c.restoreSubcomponents ?? []).map(fullPathOf)) : [];
      if (subs.length > 0) record.subcomponents = subs;
      this.events.push(record);
      for (const a of w.script) {
        if (a.on !== event) continue;
        if ('veto' in a) {
          record.vetoed = a.veto;
          if (status) Object.assign(status, { state: FAILED_AT[event] ?? status.state, failure: a.veto });
          break;
        }
        const change = 'setBackupStamp' in a ? `SetBackupStamp(${a.setBackupStamp})` : `SetFailureMessage(${a.setFailureMessage})`;
        if (!WRITER_MAY_CHANGE.has(event)) {
          (record.refusedChanges ??= []).push(change);
          continue;
        }
        for (const c of comps) {
          if ('setBackupStamp' in a) c.backupStamp = a.setBackupStamp;
          else if (event === 'PreRestore') c.preRestoreFailureMsg = a.setFailureMessage;
          else c.postRestoreFailureMsg = a.setFailureMessage;
        }
      }
    }
  }
}
