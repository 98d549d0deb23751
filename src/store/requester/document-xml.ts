/**
 * The Backup Components Document in its XML shape (the VssComponentMetadata schema that
 * IVssBackupComponents::SaveAsXML writes): a BACKUP_COMPONENTS root with the backup state
 * as attributes, one WRITER_COMPONENTS per writer instance with its COMPONENT elements,
 * and the SNAPSHOT_SET_DESCRIPTION with one SNAPSHOT_DESCRIPTION per shadow copy. GUIDs
 * are written bare in lower case and booleans as yes/no, as DiskShadow's saved documents show. Reading checks every
 * attribute and answers VSS_E_INVALID_XML_DOCUMENT naming the one that is wrong;
 * unknown attributes and elements (a real document carries more, such as LUN_MAPPING)
 * are skipped.
 */
import { refuse } from '../errors.js';
import { canonicalGuid, type Guid } from '../vss.js';
import type { ComponentType } from '../writers.js';
import { BACKUP_TYPES, FILE_RESTORE_STATUSES, type BackupComponentsDocument, type BackupType, type DocComponent, type DocSnapshot, type FileRestoreStatus } from './document.js';
import { VSS_E_INVALID_XML_DOCUMENT } from '../../status/index.js';
import { parseXml, writeXml, XmlError, type XmlElement, type XmlLimits } from './xml.js';

export const DOCUMENT_SCHEMA = 'x-schema:#VssComponentMetadata';
export const DOCUMENT_VERSION = '1.2';

const yesNo = (b: boolean) => (b ? 'yes' : 'no');
/** VSS writes GUIDs bare and in lower case; braces are accepted on reading. */
const braced = (g: Guid) => g;

export function documentToXml(d: BackupComponentsDocument): string {
  const component = (c: DocComponent) => ({
    name: 'COMPONENT',
    attrs: {
      logicalPath: c.logicalPath === '' ? undefined : c.logicalPath,
      componentName: c.name,
      componentType: c.type,
      backupSucceeded: yesNo(c.backupSucceeded),
      backupOptions: c.backupOptions,
      backupStamp: c.backupStamp,
      previousBackupStamp: c.previousBackupStamp,
      selectedForRestore: yesNo(c.selectedForRestore),
      additionalRestores: 'no',
      restoreOptions: c.restoreOptions,
      preRestoreFailureMsg: c.preRestoreFailureMsg,
      postRestoreFailureMsg: c.postRestoreFailureMsg,
      fileRestoreStatus: c.fileRestoreStatus,
    },
    children: (c.restoreSubcomponents ?? []).map((x) => ({
      name: 'RESTORE_SUBCOMPONENT',
      attrs: { logicalPath: x.logicalPath === '' ? undefined : x.logicalPath, componentName: x.name, repair: yesNo(x.repair) },
    })),
  });
  const snapshot = (s: DocSnapshot) => ({
    name: 'SNAPSHOT_DESCRIPTION',
    attrs: {
      snapshotId: braced(s.id),
      providerId: braced(s.providerId),
      snapshotAttributes: String(s.attributes >>> 0),
      originatingMachine: s.originatingMachine,
      serviceMachine: s.serviceMachine,
      timestamp: s.creationTime.toString(),
      deviceName: s.deviceObject,
      originalVolumeName: s.originalVolume,
      originalVolumeDisplayName: s.originalVolumeDisplay,
    },
  });
  const root = {
    name: 'BACKUP_COMPONENTS',
    attrs: {
      xmlns: DOCUMENT_SCHEMA,
      version: DOCUMENT_VERSION,
      bootableSystemStateBackup: yesNo(d.bootableSystemState),
      selectComponents: yesNo(d.selectComponents),
      backupType: d.backupType,
      partialFileSupport: yesNo(d.partialFileSupport),
      context: String(d.context >>> 0),
      snapshotSetId: d.snapshotSet ? braced(d.snapshotSet.setId) : undefined,
    },
    children: [
      ...d.writers.map((w) => ({ name: 'WRITER_COMPONENTS', attrs: { instanceId: braced(w.instanceId), writerId: braced(w.writerId) }, children: w.components.map(component) })),
      ...(d.snapshotSet
        ? [{ name: 'SNAPSHOT_SET_DESCRIPTION', attrs: { snapshotSetId: braced(d.snapshotSet.setId), context: String(d.snapshotSet.context >>> 0) }, children: d.snapshotSet.snapshots.map(snapshot) }]
        : []),
    ],
  };
  return `<?xml version="1.0"?>\n${writeXml(root)}\n`;
}

const bad = (where: string, what: string): never => refuse(VSS_E_INVALID_XML_DOCUMENT, `${where}: ${what}`);

function attr(e: XmlElement, name: string, where: string): string {
  return e.attrs[name] ?? bad(where, `${name} is missing`);
}

function optional(e: XmlElement, name: string): string | undefined {
  return e.attrs[name];
}

function flag(e: XmlElement, name: string, where: string, dflt: boolean): boolean {
  const v = e.attrs[name];
  if (v === undefined) return dflt;
  if (v === 'yes') return true;
  if (v === 'no') return false;
  return bad(where, `${name}="${v}" is neither yes nor no`);
}

function guid(e: XmlElement, name: string, where: string): Guid {
  const v = attr(e, name, where);
  return canonicalGuid(v) ?? bad(where, `${name}="${v}" is not a GUID`);
}

function uint32(e: XmlElement, name: string, where: string): number {
  const v = attr(e, name, where);
  if (!/^\d{1,10}$/.test(v) || Number(v) > 0xffffffff) return bad(where, `${name}="${v}" is not a 32-bit number`);
  return Number(v) | 0;
}

function oneOf<T extends string>(e: XmlElement, name: string, where: string, values: readonly T[], dflt?: T): T {
  const v = e.attrs[name];
  if (v === undefined && dflt !== undefined) return dflt;
  if (v === undefined) return bad(where, `${name} is missing`);
  if (!values.includes(v as T)) return bad(where, `${name}="${v}" is not one of ${values.join(', ')}`);
  return v as T;
}

function restoreSubcomponents(c: XmlElement, cw: string): Pick<DocComponent, 'restoreSubcomponents'> {
  const subs = c.children.filter((x) => x.name === 'RESTORE_SUBCOMPONENT');
  if (subs.length === 0) return {};
  return {
    restoreSubcomponents: subs.map((x, i) => {
      const w = `${cw}.RESTORE_SUBCOMPONENT[${i}]`;
      return { logicalPath: optional(x, 'logicalPath') ?? '', name: attr(x, 'componentName', w), repair: flag(x, 'repair', w, false) };
    }),
  };
}

/** Reads a saved document; anything that is not one answers VSS_E_INVALID_XML_DOCUMENT. */
export function documentFromXml(xml: string, limits?: XmlLimits): BackupComponentsDocument {
  let top: XmlElement;
  try {
    top = parseXml(xml, limits);
  } catch (e) {
    if (e instanceof XmlError) return bad('document', e.message);
    throw e;
  }
  // A document saved with its schema inline has both under one root.
  const root = top.name === 'BACKUP_COMPONENTS' ? top : top.children.find((c) => c.name === 'BACKUP_COMPONENTS');
  if (!root) return bad('document', 'no BACKUP_COMPONENTS element');
  const where = 'BACKUP_COMPONENTS';
  const doc: BackupComponentsDocument = {
    selectComponents: flag(root, 'selectComponents', where, false),
    bootableSystemState: flag(root, 'bootableSystemStateBackup', where, false),
    backupType: oneOf<BackupType>(root, 'backupType', where, BACKUP_TYPES, 'full'),
    partialFileSupport: flag(root, 'partialFileSupport', where, false),
    context: root.attrs.context === undefined ? 0 : uint32(root, 'context', where),
    writers: [],
  };
  const instances = new Set<string>();
  root.children
    .filter((c) => c.name === 'WRITER_COMPONENTS')
    .forEach((w, i) => {
      const ww = `WRITER_COMPONENTS[${i}]`;
      const instanceId = guid(w, 'instanceId', ww);
      if (instances.has(instanceId)) bad(ww, `instance ${instanceId} appears twice`);
      instances.add(instanceId);
      const seen = new Set<string>();
      const components = w.children
        .filter((c) => c.name === 'COMPONENT')
        .map((c, j): DocComponent => {
          const cw = `${ww}.COMPONENT[${j}]`;
          const logicalPath = optional(c, 'logicalPath') ?? '';
          const name = attr(c, 'componentName', cw);
          if (name === '') bad(cw, 'componentName is empty');
          const key = `${logicalPath}\\${name}`.toLowerCase();
          if (seen.has(key)) bad(cw, `${name} appears twice`);
          seen.add(key);
          const status = optional(c, 'fileRestoreStatus');
          return {
            logicalPath,
            name,
            type: oneOf<ComponentType>(c, 'componentType', cw, ['database', 'filegroup']),
            backupSucceeded: flag(c, 'backupSucceeded', cw, false),
            ...(optional(c, 'backupOptions') !== undefined ? { backupOptions: optional(c, 'backupOptions') } : {}),
            ...(optional(c, 'backupStamp') !== undefined ? { backupStamp: optional(c, 'backupStamp') } : {}),
            ...(optional(c, 'previousBackupStamp') !== undefined ? { previousBackupStamp: optional(c, 'previousBackupStamp') } : {}),
            selectedForRestore: flag(c, 'selectedForRestore', cw, false),
            ...(optional(c, 'restoreOptions') !== undefined ? { restoreOptions: optional(c, 'restoreOptions') } : {}),
            ...(optional(c, 'preRestoreFailureMsg') !== undefined ? { preRestoreFailureMsg: optional(c, 'preRestoreFailureMsg') } : {}),
            ...(optional(c, 'postRestoreFailureMsg') !== undefined ? { postRestoreFailureMsg: optional(c, 'postRestoreFailureMsg') } : {}),
            ...(status !== undefined ? { fileRestoreStatus: oneOf<FileRestoreStatus>(c, 'fileRestoreStatus', cw, FILE_RESTORE_STATUSES) } : {}),
            ...restoreSubcomponents(c, cw),
          };
        });
      doc.writers.push({ writerId: guid(w, 'writerId', ww), instanceId, components });
    });
  const sets = root.children.filter((c) => c.name === 'SNAPSHOT_SET_DESCRIPTION');
  if (sets.length > 1) bad(where, 'more than one SNAPSHOT_SET_DESCRIPTION');
  const set = sets[0];
  if (set) {
    const sw = 'SNAPSHOT_SET_DESCRIPTION';
    const ids = new Set<string>();
    doc.snapshotSet = {
      setId: guid(set, 'snapshotSetId', sw),
      context: uint32(set, 'context', sw),
      snapshots: set.children
        .filter((c) => c.name === 'SNAPSHOT_DESCRIPTION')
        .map((s, k) => {
          const w = `${sw}.SNAPSHOT_DESCRIPTION[${k}]`;
          const id = guid(s, 'snapshotId', w);
          if (ids.has(id)) bad(w, `snapshot ${id} appears twice`);
          ids.add(id);
          const ts = attr(s, 'timestamp', w);
          if (!/^\d{1,20}$/.test(ts) || BigInt(ts) >= 1n << 63n) bad(w, `timestamp="${ts}" is not a FILETIME`);
          return {
            id,
            providerId: guid(s, 'providerId', w),
            attributes: uint32(s, 'snapshotAttributes', w),
            originatingMachine: attr(s, 'originatingMachine', w),
            serviceMachine: attr(s, 'serviceMachine', w),
            creationTime: BigInt(ts),
            deviceObject: attr(s, 'deviceName', w),
            originalVolume: attr(s, 'originalVolumeName', w),
            originalVolumeDisplay: optional(s, 'originalVolumeDisplayName') ?? attr(s, 'originalVolumeName', w),
          };
        }),
    };
    if (root.attrs.snapshotSetId !== undefined && guid(root, 'snapshotSetId', where) !== doc.snapshotSet.setId) bad(where, 'snapshotSetId differs from the SNAPSHOT_SET_DESCRIPTION');
  }
  return doc;
}
