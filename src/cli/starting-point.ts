/**
 * Says, in one log line at start, where the emulated host came from: the host model (or
 * the embedded default host), or a state directory written before, which then wins for what
 * a reboot keeps; and warns when a host model given on the command line differs from the
 * state in what it could not set, so no setting is ignored silently.
 */
import type { Logger } from '../log.js';
import type { EmulatedHost } from '../store/emulated-host.js';
import type { HostModel } from '../store/model.js';
import { DEFAULT_STORE_SETTINGS } from '../store/settings.js';
import { afterReboot, STATE_FILE } from '../store/state-dir.js';
import { join, resolve } from 'node:path';

/** What a state directory keeps and so decides once written. */
export const FROM_STATE = ['host names', 'volumes', 'shadow copy storage', 'persistent shadow copies', 'saved documents'];
/** What the host model (or the default host) always decides: configuration, not state. */
export const FROM_MODEL = ['writers', 'accounts'];

/** The parts of what a reboot keeps in which two models differ. */
export function differences(a: HostModel, b: HostModel): string[] {
  const same = (x: unknown, y: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) === JSON.stringify(y, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  // Free space follows the storage allocated on a volume; its size and names do not.
  const volumes = (m: HostModel) => m.volumes.map((v) => ({ ...v, freeBytes: 0n }));
  const storage = (m: HostModel) => m.diffAreas.map((d) => [d.volume, d.diffAreaVolume, d.maximumBytes]);
  const kept = afterReboot(a, DEFAULT_STORE_SETTINGS);
  const out: string[] = [];
  if (!same(kept.host, b.host)) out.push('host names');
  if (!same(volumes(kept), volumes(b))) out.push('volumes');
  if (!same(kept.providers, b.providers)) out.push('providers');
  if (!same(storage(kept), storage(b))) out.push('shadow copy storage');
  if (!same(kept.snapshots.map((s) => s.id), b.snapshots.map((s) => s.id))) out.push('persistent shadow copies');
  return out;
}

export function reportStartingPoint(log: Logger, o: { hostModel: string | undefined; stateDir: string | undefined; model: HostModel; emulated: EmulatedHost }): void {
  const source = o.hostModel !== undefined ? `the host model ${o.hostModel}` : 'the embedded default host';
  if (o.stateDir === undefined) {
    log.info(`in memory (--in-memory): the host starts from ${source} and nothing is kept across a restart`, { hostModel: o.hostModel ?? 'default' });
    return;
  }
  if (!o.emulated.restored) {
    log.info(`state directory ${resolve(o.stateDir)} is new: the host starts from ${source}, and what a reboot keeps is kept there from now on`, { stateDir: o.stateDir, hostModel: o.hostModel ?? 'default' });
    return;
  }
  log.info(`state directory ${resolve(o.stateDir)} restored: it decides the ${FROM_STATE.join(', ')}; ${source} decides the ${FROM_MODEL.join(' and ')}`, {
    stateDir: o.stateDir,
    hostModel: o.hostModel ?? 'default',
    fromStateDir: FROM_STATE,
    fromHostModel: FROM_MODEL,
  });
  const differ = differences(o.model, o.emulated.store.model());
  if (o.hostModel !== undefined && differ.length > 0) {
    log.warn(`${source} differs from the state directory in its ${differ.join(', ')}: the state directory's are used`, {
      stateDir: o.stateDir,
      hostModel: o.hostModel,
      ignored: differ,
      hint: `remove ${join(o.stateDir, STATE_FILE)} (or run with --in-memory) to start from the host model`,
    });
  }
}
