/**
 * The host the conformance tests point `scmp conform` at: the embedded default host plus a
 * second association on the archive volume (E:\ stores there too), so that every
 * enumerator rule has two items to look at, an administrator and a plain user. A check's
 * breaker may first edit the default host's data (`edit`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ADMIN = { user: 'Administrator', password: 'Conform-Admin-1' };
export const USER = { user: 'bob', password: 'Conform-User-2' };

/** A host model file (in a fresh temporary folder) and the folder's removal. */
export function conformHostModel(faults: unknown[] = [], edit?: (m: Record<string, any>) => void): { file: string; dir: string; remove(): void } {
  const model = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/default-host.json', import.meta.url)), 'utf8'));
  edit?.(model);
  const refs = model.volumes.find((v: any) => v.fileSystem === 'ReFS').mountName;
  const archive = model.volumes.find((v: any) => (v.mountPoints ?? []).some((m: string) => /archive/.test(m))).mountName;
  model.diffAreas.push({ volume: refs, diffAreaVolume: archive, maximumBytes: String(1024 * 1024 * 1024) });
  if (faults.length > 0) model.faults = faults;
  const dir = mkdtempSync(join(tmpdir(), 'scmp-conform-'));
  const file = join(dir, 'host.json');
  writeFileSync(file, JSON.stringify(model));
  return { file, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** scmpd's arguments for that host; `accounts` replaces the two accounts by name. */
export function conformServerArgs(modelFile: string, extra: string[] = []): string[] {
  const redefined = new Set<string>();
  for (let i = 0; i < extra.length; i++) if (extra[i] === '--account') redefined.add(extra[i + 1]!.split(':')[0]!.toLowerCase());
  const accounts = [`${ADMIN.user}:${ADMIN.password}:admin`, `${USER.user}:${USER.password}:user`].filter((a) => !redefined.has(a.split(':')[0]!.toLowerCase()));
  return ['--host-model', modelFile, ...accounts.flatMap((a) => ['--account', a]), ...extra];
}
