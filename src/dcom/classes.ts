import type { Guid } from '../ndr/guid.js';
import type { ComObject } from './exporter.js';

/** A class the SCM can activate. */
export interface ComClass {
  readonly clsid: Guid;
  readonly name: string;
  /** Creates a fresh instance for one activation. */
  create(): ComObject;
}

export const IID_IClassFactory = '00000001-0000-0000-c000-000000000046';

/** The class registry (CLSID → class), one per emulated host. */
export class ClassRegistry {
  private readonly classes = new Map<Guid, ComClass>();

  register(c: ComClass): this {
    this.classes.set(c.clsid.toLowerCase(), c);
    return this;
  }

  get(clsid: Guid): ComClass | undefined {
    return this.classes.get(clsid.toLowerCase());
  }
}

/** The class object RemoteGetClassObject hands out: it answers IClassFactory. */
export function classObject(c: ComClass): ComObject {
  return { clsid: c.clsid, supports: (iid) => iid === IID_IClassFactory };
}
