/**
 * Issue 18, defect 9: the saved documents of a state file are checked at load as saving
 * them was: a name `../../x` and a 40 MiB document (over the 32 MiB the host keeps, and over
 * a document's own limit) were loaded; now the start stops, naming the field.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { defaultHostModel } from '../../src/store/default-host.js';
import { EmulatedHost } from '../../src/store/emulated-host.js';
import { STATE_FILE, StateDirError } from '../../src/store/state-dir.js';
import { runScmpd } from '../helpers/scmpd.js';
import { aDocument } from '../../bench/fuzz/host-targets.js';

const made: string[] = [];
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'scmp-statedocs-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A state directory written by the host with one saved document `good`, then edited by `edit`. */
function stateWith(edit: (documents: Record<string, unknown>, xml: string) => void): { d: string; xml: string } {
  const d = dir();
  const h = new EmulatedHost(defaultHostModel(), { stateDir: d });
  const xml = aDocument(h);
  h.saveDocument('good', xml);
  const root = JSON.parse(readFileSync(join(d, STATE_FILE), 'utf8'));
  edit(root.documents, xml);
  writeFileSync(join(d, STATE_FILE), JSON.stringify(root));
  return { d, xml };
}

const loadError = (d: string): string => {
  try {
    new EmulatedHost(defaultHostModel(), { stateDir: d });
  } catch (e) {
    expect(e).toBeInstanceOf(StateDirError);
    return (e as Error).message;
  }
  throw new Error('loaded');
};

describe('saved documents in the state file', () => {
  test('a well-formed saved document loads as it was saved', () => {
    const { d, xml } = stateWith(() => {});
    const h = new EmulatedHost(defaultHostModel(), { stateDir: d });
    expect(h.documentNames()).toEqual(['good']);
    expect(h.document('good')).toBe(xml);
  });

  test('a name ../../x is refused, naming the field', () => {
    const { d } = stateWith((docs, xml) => (docs['../../x'] = xml));
    expect(loadError(d)).toBe(`${join(d, STATE_FILE)}: documents["../../x"]: not a document name (letters, digits, '.', '_' and '-', at most 64)`);
  });

  test('a 40 MiB document is refused, naming the field and both limits it breaks', () => {
    const big = `<BACKUP_COMPONENTS>${' '.repeat(40 * 1024 * 1024)}</BACKUP_COMPONENTS>`;
    const { d, xml } = stateWith((docs) => (docs.big = big));
    expect(loadError(d).split('\n')).toEqual([
      `${join(d, STATE_FILE)}: documents["big"]: ${big.length} characters, more than the 1048576 a document may have`,
      `${join(d, STATE_FILE)}: documents: ${big.length + xml.length} characters in all, more than the 33554432 this host keeps`,
    ]);
  });

  test('something that is not a document, not a string, or one document too many is refused', () => {
    expect(loadError(stateWith((docs) => (docs.junk = '<nope/>')).d)).toMatch(/documents\["junk"\]: not a Backup Components Document: .*BACKUP_COMPONENTS/);
    expect(loadError(stateWith((docs) => (docs.num = 7)).d)).toMatch(/documents\["num"\]: not a string$/);
    const many = stateWith((docs, xml) => {
      for (let i = 0; i < 256; i++) docs[`d${i}`] = xml;
    });
    expect(loadError(many.d)).toMatch(/: documents: 257 documents, more than the 256 this host keeps$/);
    // A host configured to keep more loads what it saved.
    const h = new EmulatedHost(defaultHostModel(), { stateDir: many.d, requester: { maxSavedDocuments: 300 } });
    expect(h.documentNames()).toHaveLength(257);
  });

  test('scmpd stops at start with the one-line error, before anything listens', async () => {
    const { d } = stateWith((docs, xml) => (docs['../../x'] = xml));
    const run = await runScmpd(['--listen', '127.0.0.1', '--port', '0', '--admin-port', '0', '--state-dir', d]).exited;
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n').filter((l) => l.startsWith('scmpd:'))).toEqual([
      `scmpd: state directory ${d}: ${join(d, STATE_FILE)}: documents["../../x"]: not a document name (letters, digits, '.', '_' and '-', at most 64)`,
    ]);
  });
});
