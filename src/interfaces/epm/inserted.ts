import type { AssociationGroup } from '../../dcerpc/association.js';
import type { SyntaxId } from '../../dcerpc/pdu/types.js';
import type { Guid } from '../../ndr/guid.js';
import type { TowerQuery } from './tower.js';

/** An entry a client added with ept_insert: its tower as sent, and what the tower names. */
export interface InsertedEntry extends TowerQuery {
  object: Guid;
  tower: Buffer;
  annotation: string;
}

const sameSyntax = (a: SyntaxId, b: SyntaxId) => a.uuid === b.uuid && a.major === b.major;
const sameProtocols = (a: number[], b: number[]) => a.length === b.length && a.every((p, i) => p === b[i]);

/**
 * Entries inserted over the network, kept per association group: only calls of the
 * association that inserted them see them, and they go when it ends (the group is the key
 * of a WeakMap, so nothing outlives it). A client can therefore never hide, replace or
 * redirect the server's own registrations, nor what any other client is told.
 */
export class InsertedEntries {
  private readonly byGroup = new WeakMap<AssociationGroup, InsertedEntry[]>();

  list(group: AssociationGroup): readonly InsertedEntry[] {
    return this.byGroup.get(group) ?? [];
  }

  /**
   * Adds `entries` all or none. An entry identical to one held (same object and tower) takes
   * its place; with `replace`, so does any held for the same object, interface (UUID and major
   * version), transfer syntax and protocol floors, as C706's ept_insert describes.
   * False when the group would then hold more than `max`: nothing is changed.
   */
  insert(group: AssociationGroup, entries: InsertedEntry[], replace: boolean, max: number): boolean {
    let next = [...this.list(group)];
    for (const e of entries) {
      next = next.filter(
        (h) =>
          !(h.object === e.object && h.tower.equals(e.tower)) &&
          !(replace && h.object === e.object && sameSyntax(h.iface, e.iface) && sameSyntax(h.transfer, e.transfer) && sameProtocols(h.protocols, e.protocols)),
      );
      // Our own copy: the tower may be a view of the whole request stub.
      next.push({ ...e, tower: Buffer.from(e.tower) });
    }
    if (next.length > max) return false;
    this.byGroup.set(group, next);
    return true;
  }

  /**
   * Removes the entries with these objects and towers (annotations are not compared), all or
   * none. Returns the index of the first one not held, or -1 when all were removed.
   */
  delete(group: AssociationGroup, entries: { object: Guid; tower: Buffer }[]): number {
    const next = [...this.list(group)];
    for (let i = 0; i < entries.length; i++) {
      const { object, tower } = entries[i]!;
      const at = next.findIndex((h) => h.object === object && h.tower.equals(tower));
      if (at < 0) return i;
      next.splice(at, 1);
    }
    this.byGroup.set(group, next);
    return -1;
  }
}
