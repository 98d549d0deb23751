/**
 * A writer's Writer Metadata Document in its XML shape (what
 * IVssExamineWriterMetadata::SaveAsXML gives a requester): WRITER_METADATA in the
 * VssWriterMetadataInfo schema, IDENTIFICATION, RESTORE_METHOD, and BACKUP_LOCATIONS with
 * one FILE_GROUP or DATABASE per component and a FILE_LIST or DATABASE_FILES per file set.
 * The names are those of documents saved by DiskShadow; DATABASE and DATABASE_FILES are
 * not in any public sample and follow the same style (docs/decisions.md).
 */
import type { Writer } from '../writers.js';
import { writeXml } from './xml.js';

export const WRITER_METADATA_SCHEMA = 'x-schema:#VssWriterMetadataInfo';

const yesNo = (b: boolean) => (b ? 'yes' : 'no');
/** VSS_FSBT_ALL_BACKUP_REQUIRED | VSS_FSBT_ALL_SNAPSHOT_REQUIRED, as real documents carry. */
const ALL_BACKUP_AND_SNAPSHOT = '3855';

export function writerMetadataToXml(w: Writer): string {
  const root = {
    name: 'WRITER_METADATA',
    attrs: { xmlns: WRITER_METADATA_SCHEMA, version: '1.2' },
    children: [
      { name: 'IDENTIFICATION', attrs: { writerId: w.id, instanceId: w.instanceId, friendlyName: w.name, usage: 'OTHER', dataSource: 'OTHER', majorVersion: '0', minorVersion: '0' } },
      { name: 'RESTORE_METHOD', attrs: { method: 'RESTORE_IF_CAN_BE_REPLACED', writerRestore: 'never', rebootRequired: 'no' } },
      {
        name: 'BACKUP_LOCATIONS',
        attrs: {},
        children: w.components.map((c) => ({
          name: c.type === 'database' ? 'DATABASE' : 'FILE_GROUP',
          attrs: {
            logicalPath: c.logicalPath === '' ? undefined : c.logicalPath,
            componentName: c.name,
            caption: c.caption,
            restoreMetadata: 'no',
            notifyOnBackupComplete: 'no',
            selectable: yesNo(c.selectable),
            selectableForRestore: yesNo(c.selectableForRestore),
            componentFlags: '0',
          },
          children: c.files.map((f) => ({
            name: c.type === 'database' ? 'DATABASE_FILES' : 'FILE_LIST',
            attrs: { path: f.path, filespec: f.filespec, recursive: yesNo(f.recursive), filespecBackupType: ALL_BACKUP_AND_SNAPSHOT },
          })),
        })),
      },
    ],
  };
  return `<?xml version="1.0"?>\n${writeXml(root)}\n`;
}
