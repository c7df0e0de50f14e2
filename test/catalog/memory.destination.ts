import { Readable } from 'node:stream';
import { BackupDestination, DestinationUpload, StoredObject } from '../../libs/backup/src/destinations/destination.interface';

/**
 * An in-memory destination for unit specs (end-to-end tests use the real local disk and
 * s3rver). `failDeleteFor` makes delete() throw for those keys; `unreachable` makes
 * checkReachable() and list() reject with that message.
 */
export class MemoryDestination implements BackupDestination {
  readonly objects = new Map<string, { size: number; lastModified: Date }>();
  readonly deleteCalls: string[] = [];
  failDeleteFor = new Set<string>();
  unreachable?: string;

  constructor(readonly name = 'memory') {}

  put(key: string, size: number, lastModified = new Date(0)): this {
    this.objects.set(key, { size, lastModified });
    return this;
  }

  describe(): string {
    return `memory disk ${this.name}`;
  }

  async openUpload(): Promise<DestinationUpload> {
    throw new Error('not supported by MemoryDestination');
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    if (this.unreachable) throw new Error(this.unreachable);
    for (const [key, o] of [...this.objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (key.startsWith(prefix)) yield { key, size: o.size, lastModified: o.lastModified };
    }
  }

  async stat(key: string): Promise<StoredObject | null> {
    const o = this.objects.get(key);
    return o ? { key, ...o } : null;
  }

  async read(): Promise<Readable> {
    throw new Error('not supported by MemoryDestination');
  }

  async delete(key: string): Promise<void> {
    this.deleteCalls.push(key);
    if (this.failDeleteFor.has(key)) throw new Error(`permission denied deleting ${key}`);
    this.objects.delete(key);
  }

  async checkReachable(): Promise<void> {
    if (this.unreachable) throw new Error(this.unreachable);
  }
}
