/**
 * What a Windows host keeps across a reboot, kept in a directory: the volumes with their
 * shadow copy storage associations and sizes, the persistent shadow copies, and the saved
 * Backup Components Documents. Non-persistent shadow copies and open sessions are never
 * written: a restart drops them, as a reboot does.
 *
 * One file, state.json, replaced whole on every change: written to a temporary file,
 * fsynced, renamed over the old one, and the directory fsynced. A crash at any moment
 * leaves the old file or the new one, never a torn one; the caller is told a change
 * succeeded only after all four steps.
 */
import { accessSync, closeSync, constants, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { allocatedFor } from './diff-area-space.js';
import type { DiffArea, HostModel, Volume } from './model.js';
import { HostModelError, hostModelFromJson, hostModelToJson } from './model-file.js';
import type { StoreSettings } from './settings.js';
import { documentFromXml } from './requester/document-xml.js';
import { DEFAULT_REQUESTER_SETTINGS, type RequesterSettings } from './requester/settings.js';
import { VSS_VOLSNAP_ATTR_PERSISTENT } from './vss.js';

export const STATE_FILE = 'state.json';
const FORMAT = 'scmp-state/1';

export interface PersistentState {
  /** The host as it would come back from a reboot (writers are configuration, not state). */
  model: HostModel;
  /** Saved Backup Components Documents by name. */
  documents: Map<string, string>;
}

/** A saved document's name: what a file name on any system can hold (as EmulatedHost.saveDocument). */
export const SAVED_DOCUMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The limits saved documents are held to when saved, and so again when loaded. */
export type SavedDocumentLimits = Pick<RequesterSettings, 'maxSavedDocuments' | 'maxSavedDocumentChars' | 'xml'>;

/** Problems named at most, so that a file of a million bad entries is still a short message. */
const MAX_PROBLEMS_SHOWN = 10;

/**
 * The saved documents of a state file, held to what saving them required (issue 18, defect 9):
 * a name a file name can be, a document within the XML limits that reads as a Backup
 * Components Document, no more documents and characters in all than the host keeps. A file
 * edited by hand or by another process gets no more than the admin API would have allowed.
 * Each problem names its field: documents["NAME"].
 */
function checkedDocuments(raw: unknown, limits: SavedDocumentLimits): { documents: Map<string, string>; problems: string[] } {
  const problems: string[] = [];
  const documents = new Map<string, string>();
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { documents, problems: ['documents: not an object'] };
  const entries = Object.entries(raw);
  if (entries.length > limits.maxSavedDocuments) problems.push(`documents: ${entries.length} documents, more than the ${limits.maxSavedDocuments} this host keeps`);
  let total = 0;
  for (const [name, xml] of entries) {
    // The name as JSON, cut short: it is untrusted text going into a log line.
    const field = `documents[${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)}]`;
    if (!SAVED_DOCUMENT_NAME.test(name)) problems.push(`${field}: not a document name (letters, digits, '.', '_' and '-', at most 64)`);
    if (typeof xml !== 'string') {
      problems.push(`${field}: not a string`);
      continue;
    }
    total += xml.length;
    if (xml.length > limits.xml.maxLength) {
      problems.push(`${field}: ${xml.length} characters, more than the ${limits.xml.maxLength} a document may have`);
      continue;
    }
    try {
      documentFromXml(xml, limits.xml);
    } catch (e) {
      problems.push(`${field}: not a Backup Components Document: ${(e as Error).message}`);
      continue;
    }
    documents.set(name, xml);
  }
  if (total > limits.maxSavedDocumentChars) problems.push(`documents: ${total} characters in all, more than the ${limits.maxSavedDocumentChars} this host keeps`);
  if (problems.length > MAX_PROBLEMS_SHOWN) problems.splice(MAX_PROBLEMS_SHOWN, problems.length, `… and ${problems.length - MAX_PROBLEMS_SHOWN} more problems`);
  return { documents, problems };
}

export class StateDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateDirError';
  }
}

/**
 * The model after a reboot: only persistent shadow copies, and the storage their removal
 * frees given back to the volumes that held it.
 */
export function afterReboot(m: HostModel, settings: StoreSettings): HostModel {
  const snapshots = m.snapshots.filter((s) => (s.attributes & VSS_VOLSNAP_ATTR_PERSISTENT) !== 0);
  const volumes: Volume[] = m.volumes.map((v) => ({ ...v }));
  const diffAreas: DiffArea[] = m.diffAreas.map((d) => {
    const copies = snapshots.filter((s) => s.originalVolume === d.volume);
    const usedBytes = copies.reduce((a, s) => a + s.sizeBytes, 0n);
    const allocatedBytes = allocatedFor(usedBytes, copies.length, d.maximumBytes, settings);
    const storage = volumes.find((v) => v.mountName === d.diffAreaVolume)!;
    (storage as { freeBytes: bigint }).freeBytes += d.allocatedBytes - allocatedBytes;
    return { ...d, usedBytes, allocatedBytes };
  });
  return { ...m, volumes, snapshots, diffAreas };
}

/**
 * Creates `path` and its missing parents one level at a time, then checks it can be
 * written, before anything is written in it. Node's recursive mkdir loops forever where a
 * parent exists but refuses new entries without EACCES (`/proc/foo` answers ENOENT), so
 * each level is created on its own and any refusal is a StateDirError naming the level.
 */
export function makeWritableDirectory(path: string): void {
  const missing: string[] = [];
  for (let p = resolve(path); ; ) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(p).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new StateDirError(`cannot create ${path}: ${p}: ${(e as Error).message}`);
      missing.unshift(p);
      const up = dirname(p);
      if (up === p) break;
      p = up;
      continue;
    }
    if (!isDirectory) throw new StateDirError(`cannot create ${path}: ${p} is not a directory`);
    break;
  }
  for (const p of missing) {
    try {
      mkdirSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateDirError(`cannot create ${path}: ${(e as Error).message}`);
    }
  }
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new StateDirError(`cannot write in ${path}: ${(e as Error).message}`);
  }
}

export class StateDir {
  private lastWritten: string | undefined;

  private constructor(
    readonly path: string,
    private readonly settings: StoreSettings,
  ) {}

  /** Opens (creating it if need be) a state directory. */
  static open(path: string, settings: StoreSettings): StateDir {
    makeWritableDirectory(path);
    // A temporary file is what a crash mid-write leaves; the state it was to replace is intact.
    rmSync(join(path, `${STATE_FILE}.tmp`), { force: true });
    return new StateDir(path, settings);
  }

  /**
   * The state saved last, or undefined in a directory never written. Everything in it is
   * checked as it was when it was saved; `documentLimits` are the host's (its requester
   * settings), so a host allowed larger documents loads what it saved.
   */
  load(writers: HostModel['writers'], documentLimits: SavedDocumentLimits = DEFAULT_REQUESTER_SETTINGS): PersistentState | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.path, STATE_FILE), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateDirError(`cannot read ${join(this.path, STATE_FILE)}: ${(e as Error).message}`);
    }
    let root: { format?: unknown; model?: unknown; documents?: unknown };
    try {
      root = JSON.parse(text);
    } catch (e) {
      throw new StateDirError(`${join(this.path, STATE_FILE)} is not JSON: ${(e as Error).message}`);
    }
    if (root.format !== FORMAT) throw new StateDirError(`${join(this.path, STATE_FILE)}: format is not ${FORMAT}`);
    let model: HostModel;
    try {
      model = { ...hostModelFromJson(root.model, this.settings).model, writers };
    } catch (e) {
      if (e instanceof HostModelError) throw new StateDirError(e.problems.map((p) => `${join(this.path, STATE_FILE)}: model.${p.field}: ${p.message}`).join('\n'));
      throw e;
    }
    const { documents, problems } = checkedDocuments(root.documents, documentLimits);
    if (problems.length > 0) throw new StateDirError(problems.map((p) => `${join(this.path, STATE_FILE)}: ${p}`).join('\n'));
    this.lastWritten = text;
    return { model, documents };
  }

  /**
   * Writes the state a reboot would keep, durably, unless it is what the file holds
   * already (a change to non-persistent shadow copies alone writes nothing).
   */
  save(model: HostModel, documents: ReadonlyMap<string, string>): void {
    const kept = afterReboot(model, this.settings);
    const text = `${JSON.stringify({ format: FORMAT, model: hostModelToJson(kept, false), documents: Object.fromEntries(documents) }, null, 1)}\n`;
    if (text === this.lastWritten) return;
    const file = join(this.path, STATE_FILE);
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      const buf = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    const dir = openSync(this.path, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.lastWritten = text;
  }
}
