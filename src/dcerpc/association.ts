import { randomOctets } from './random.js';
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
    /** The client machine that created the group (clientMachine()); only it may join. */
    readonly clientMachine = '',
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

  /** A new group for a connection from `clientAddress`, with an id no one can guess. */
  create(clientAddress = ''): AssociationGroup {
    let id: number;
    // Any non-zero 32-bit value is valid (C706 12.6.4.3): all 32 bits are random, so an id
    // is not found by counting; joining is checked against the client machine anyway.
    do id = randomOctets(4).readUInt32LE(0);
    while (id === 0 || this.groups.has(id));
    const g = new AssociationGroup(id, this.maxHandles, clientMachine(clientAddress));
    this.groups.set(id, g);
    return g;
  }

  get(id: number): AssociationGroup | undefined {
    return this.groups.get(id);
  }

  /**
   * The group a connection from `clientAddress` may join: MS-RPCE 3.3.1.5.4 has the server
   * let a connection join only when it comes from the machine that created the group,
   * which over TCP is the client's IP address. Another machine's id is as unknown.
   */
  joinable(id: number, clientAddress: string): AssociationGroup | undefined {
    const g = this.groups.get(id);
    return g && g.clientMachine === clientMachine(clientAddress) ? g : undefined;
  }

  /** A group lives as long as one of its connections does. */
  leave(group: AssociationGroup, connectionId: number): void {
    group.connections.delete(connectionId);
    if (group.connections.size === 0) this.groups.delete(group.id);
  }
}

/**
 * The client machine of a TCP peer: its IP address, an IPv4-mapped IPv6 address taken as
 * the IPv4 one (a dual-stack listener reports the same client either way).
 */
export function clientMachine(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function randomGuid(): Guid {
  const b = randomOctets(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export { GUID_NULL };
