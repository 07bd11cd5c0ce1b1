/**
 * One iommufd fd as the log shows it: the objects allocated through it, the IDs freed, the bound
 * devices and their attachments. Only what the trace lines reveal; no ID prediction (auto-domain
 * HWPTs and mdev ACCESS objects take IDs without a trace line).
 * Kernel reference: docs/reference/iommufd-kernel.md §4 (who pins whom, DESTROY → EBUSY).
 */

export type ObjectKind = 'IOAS' | 'HWPT_PAGING' | 'HWPT_NESTED' | 'VIOMMU' | 'VDEVICE' | 'VEVENTQ' | 'DEVICE';

export interface TracedObject {
  readonly id: number;
  readonly kind: ObjectKind;
  /** Line of the allocation; undefined when the object was only inferred from a use (partial log). */
  readonly line: number | undefined;
  /** The object this one pins: HWPT → IOAS/HWPT/vIOMMU, vIOMMU → HWPT, vDEVICE/vEVENTQ → vIOMMU. */
  readonly parent?: number;
  readonly flags?: number;
}

export interface Freed {
  readonly kind: ObjectKind | undefined;
  readonly line: number;
}

export interface Attachment {
  readonly device: string;
  /** undefined for the RID. */
  readonly pasid?: number;
  readonly target: number;
  readonly line: number;
}

export interface BoundDevice {
  readonly name: string;
  readonly devid: number | undefined;
  readonly line: number;
}

export class TracedContext {
  readonly objects = new Map<number, TracedObject>();
  readonly freed = new Map<number, Freed>();
  readonly devices = new Map<string, BoundDevice>();
  readonly attachments = new Map<string, Attachment>();
  /** Backend `users` as last printed by connect/disconnect. */
  users = 0;
  /** QEMU opened /dev/iommu itself (owned=1): the last disconnect closes the fd, freeing everything. */
  owned = true;
  allocated = 0;
  disconnectLine: number | undefined;

  constructor(
    readonly fd: number,
    /** True when the log shows this fd's first connect: every ID it uses must then be in the log. */
    readonly complete: boolean,
    readonly connectLine: number | undefined,
  ) {}

  create(object: TracedObject): void {
    this.objects.set(object.id, object);
    this.freed.delete(object.id);
    if (object.line !== undefined && object.kind !== 'DEVICE') this.allocated += 1;
  }

  remove(id: number, line: number): void {
    const object = this.objects.get(id);
    if (object === undefined) return;
    this.objects.delete(id);
    this.freed.set(id, { kind: object.kind, line });
  }

  /** Everything that keeps `id` from being destroyed: child objects and device attachments. */
  pinners(id: number): string[] {
    const found: string[] = [];
    for (const object of this.objects.values()) {
      if (object.parent === id) found.push(`${object.kind} ${object.id}${at(object.line)}`);
    }
    for (const attachment of this.attachments.values()) {
      if (attachment.target !== id) continue;
      const pasid = attachment.pasid === undefined ? '' : ` pasid ${attachment.pasid}`;
      found.push(`device ${attachment.device}${pasid} attached at line ${attachment.line}`);
    }
    return found;
  }

  bind(device: BoundDevice): void {
    this.unbind(device.name);
    this.devices.set(device.name, device);
  }

  /** Closing a device fd is not traced; a rebind or a reused ID means it happened. */
  unbind(name: string): void {
    const old = this.devices.get(name);
    if (old === undefined) return;
    this.devices.delete(name);
    if (old.devid !== undefined && this.objects.get(old.devid)?.kind === 'DEVICE')
      this.objects.delete(old.devid);
    for (const [key, attachment] of this.attachments)
      if (attachment.device === name) this.attachments.delete(key);
  }

  /** At the last disconnect every device fd is already closed (vfio: unbind, then disconnect). */
  clearDevices(): void {
    for (const name of [...this.devices.keys()]) this.unbind(name);
  }

  deviceById(devid: number): BoundDevice | undefined {
    for (const device of this.devices.values()) if (device.devid === devid) return device;
    return undefined;
  }

  attach(attachment: Attachment): void {
    this.attachments.set(attachmentKey(attachment.device, attachment.pasid), attachment);
  }

  detach(device: string, pasid: number | undefined): void {
    this.attachments.delete(attachmentKey(device, pasid));
  }

  /** Objects user space must free (devices go away with their fds, which the trace does not show). */
  liveObjects(): TracedObject[] {
    return [...this.objects.values()]
      .filter((object) => object.kind !== 'DEVICE')
      .sort((a, b) => a.id - b.id);
  }
}

function attachmentKey(device: string, pasid: number | undefined): string {
  return pasid === undefined ? device : `${device}\u0000${pasid}`;
}

export function at(line: number | undefined): string {
  return line === undefined ? ' (allocation not in the log)' : ` (line ${line})`;
}

export function describe(object: TracedObject): string {
  return `${object.kind} ${object.id}${at(object.line)}`;
}
