import { randomBytes } from 'node:crypto';
import { GUID_NULL, type Guid } from '../ndr/guid.js';

/**
 * An association group (MS-RPCE 3.3.1.5.4): the connections a client opened with the same
 * assoc_group_id share it, and context handles live in it, so a handle returned on one
 * connection of the group is valid on the others.
 */
export class AssociationGroup {
  readonly connections = new Set<number>();
  private readonly handles = new Map<Guid, unknown>();

  constructor(
    readonly id: number,
    private readonly maxHandles: number,
  ) {}

  get handleCount(): number {
    return this.handles.size;
  }

  /** Stores server state behind a new context handle; undefined when the group is full. */
  createHandle(state: unknown): Guid | undefined {
    if (this.handles.size >= this.maxHandles) return undefined;
    let uuid: Guid;
    do uuid = randomGuid();
    while (this.handles.has(uuid));
    this.handles.set(uuid, state);
    return uuid;
  }

  getHandle(uuid: Guid): unknown {
    return this.handles.get(uuid);
  }

  setHandle(uuid: Guid, state: unknown): void {
    if (this.handles.has(uuid)) this.handles.set(uuid, state);
  }

  closeHandle(uuid: Guid): boolean {
    return this.handles.delete(uuid);
  }
}

export class AssociationGroups {
  private readonly groups = new Map<number, AssociationGroup>();

  constructor(private readonly maxHandles: number) {}

  get size(): number {
    return this.groups.size;
  }

  create(): AssociationGroup {
    let id: number;
    // Windows hands out small non-zero ids; any non-zero 32-bit value is valid.
    do id = randomBytes(4).readUInt32LE(0) & 0x00ffffff;
    while (id === 0 || this.groups.has(id));
    const g = new AssociationGroup(id, this.maxHandles);
    this.groups.set(id, g);
    return g;
  }

  get(id: number): AssociationGroup | undefined {
    return this.groups.get(id);
  }

  /** A group lives as long as one of its connections does. */
  leave(group: AssociationGroup, connectionId: number): void {
    group.connections.delete(connectionId);
    if (group.connections.size === 0) this.groups.delete(group.id);
  }
}

export function randomGuid(): Guid {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export { GUID_NULL };
