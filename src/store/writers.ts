/**
 * The host's VSS writers as a requester sees them through their Writer Metadata Documents:
 * components on logical paths, their selectability, their file sets; and each writer's
 * scripted behaviour in the events of a backup or restore. The selection rules that follow
 * from logical paths (which component is an ancestor of which, what is explicitly or
 * implicitly included) are here too, so the requester session and the model checks agree.
 */
import {
  VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT,
  VSS_E_WRITERERROR_NONRETRYABLE,
  VSS_E_WRITERERROR_OUTOFRESOURCES,
  VSS_E_WRITERERROR_RETRYABLE,
  VSS_E_WRITERERROR_TIMEOUT,
} from '../status/index.js';
import type { Guid } from './vss.js';

/** The failures a writer's script may veto with, by name (the host model file names them). */
export const WRITER_FAILURES: Readonly<Record<string, number>> = {
  VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT,
  VSS_E_WRITERERROR_OUTOFRESOURCES,
  VSS_E_WRITERERROR_TIMEOUT,
  VSS_E_WRITERERROR_RETRYABLE,
  VSS_E_WRITERERROR_NONRETRYABLE,
};

/** VSS_COMPONENT_TYPE of vss.h: VSS_CT_DATABASE = 1, VSS_CT_FILEGROUP = 2. */
export type ComponentType = 'database' | 'filegroup';
export const VSS_CT_DATABASE = 1;
export const VSS_CT_FILEGROUP = 2;
export const COMPONENT_TYPE_CODE: Record<ComponentType, number> = { database: VSS_CT_DATABASE, filegroup: VSS_CT_FILEGROUP };

/** A file set of a component (IVssCreateWriterMetadata::AddFilesToFileGroup, FILE_LIST). */
export interface WriterFileSet {
  readonly path: string;
  readonly filespec: string;
  readonly recursive: boolean;
}

export interface WriterComponent {
  /** Backslash-separated; '' for a component at the root of its writer. */
  readonly logicalPath: string;
  readonly name: string;
  readonly type: ComponentType;
  readonly caption: string;
  /** bSelectable of AddComponent: the requester may choose it for backup. */
  readonly selectable: boolean;
  /** bSelectableForRestore. */
  readonly selectableForRestore: boolean;
  readonly files: readonly WriterFileSet[];
}

/** The writer events a session raises, in the order a backup and a restore raise them. */
export const WRITER_EVENTS = [
  'Identify',
  'PrepareBackup',
  'PrepareSnapshot',
  'Freeze',
  'Thaw',
  'PostSnapshot',
  'BackupComplete',
  'BackupShutdown',
  'Abort',
  'PreRestore',
  'PostRestore',
] as const;
export type WriterEvent = (typeof WRITER_EVENTS)[number];

/**
 * One step of a writer's script. `veto` fails the event with a VSS_E_WRITERERROR_* HRESULT;
 * `setBackupStamp` and `setFailureMessage` change the writer's components in the document
 * (a stamp at backup, pre-/post-restore failure messages at restore), which the document
 * allows only while writers may change it.
 */
export type WriterAction =
  | { readonly on: WriterEvent; readonly veto: number }
  | { readonly on: WriterEvent; readonly setBackupStamp: string }
  | { readonly on: WriterEvent; readonly setFailureMessage: string };

export interface Writer {
  /** The writer class id (IVssExamineWriterMetadata::GetIdentity's idWriter). */
  readonly id: Guid;
  readonly instanceId: Guid;
  readonly name: string;
  readonly components: readonly WriterComponent[];
  readonly script: readonly WriterAction[];
}

export const cloneWriter = (w: Writer): Writer => ({
  ...w,
  components: w.components.map((c) => ({ ...c, files: c.files.map((f) => ({ ...f })) })),
  script: w.script.map((a) => ({ ...a })),
});

/** A component's full path: its logical path and its name, as its subcomponents' logical paths start. */
export function fullPathOf(c: { logicalPath: string; name: string }): string {
  return c.logicalPath === '' ? c.name : `${c.logicalPath}\\${c.name}`;
}

const fold = (s: string) => s.toLowerCase();

/** Whether `a` is an ancestor of `b` on `b`'s logical path (same writer assumed). */
export function isAncestor(a: { logicalPath: string; name: string }, b: { logicalPath: string }): boolean {
  const p = fold(fullPathOf(a));
  const lp = fold(b.logicalPath);
  return lp === p || lp.startsWith(`${p}\\`);
}

/** The same component: logical path and name compared as VSS does, without case. */
export function sameComponent(a: { logicalPath: string; name: string }, b: { logicalPath: string; name: string }): boolean {
  return fold(a.logicalPath) === fold(b.logicalPath) && fold(a.name) === fold(b.name);
}

/** The writer's components above `c` on its logical path, nearest last. */
export function ancestorsOf(w: Writer, c: { logicalPath: string }): WriterComponent[] {
  return w.components.filter((a) => isAncestor(a, c)).sort((x, y) => fullPathOf(x).length - fullPathOf(y).length);
}

/**
 * The components that always go into a backup document: those with no selectable
 * ancestor that are not selectable themselves (a writer's mandatory components); and
 * with component selection off, every component with no selectable ancestor.
 */
export function topLevelComponents(w: Writer, selectableToo: boolean): WriterComponent[] {
  return w.components.filter((c) => (selectableToo || !c.selectable) && !ancestorsOf(w, c).some((a) => a.selectable));
}
