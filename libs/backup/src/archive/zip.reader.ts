import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { createInflateRaw, crc32 } from 'node:zlib';
import * as yauzl from 'yauzl';
import { BackupError } from '../common/backup.error';
import { forEachConcurrently } from '../common/concurrently';
import {
  CorruptArchiveError,
  NotAZipError,
  PasswordRequiredError,
  TruncatedArchiveError,
  UnsafeEntryNameError,
  UnsupportedArchiveError,
  WrongPasswordError,
} from './archive.errors';
import { entryNameProblem } from './entry-name';
import { EntryKind, Manifest, MANIFEST_NAME } from './manifest';
import { ManifestParser } from './manifest.parser';
import { fileSource, RandomAccessSource, readRange, readRangeInto, SourceRandomAccessReader } from './random-access.source';
import { defaultEntryThreads, EntryWorkerPool } from './entry-worker.pool';
import { ExtractTarget } from './extract-target';
import { aesHeader, BATCH_SPAN_BYTES, decodeStored, planBatches, SMALL_ENTRY_BYTES, SmallEntry, storedBytes } from './small-entry';
import { AES_MAC_LENGTH, AES_VERIFIER_LENGTH, deriveKeys, saltLength, WinZipAesDecryptor, WinZipAesKeys } from './winzip-aes';
import { EXTRA_AES, EXTRA_TIMESTAMP, FLAG_UTF8, METHOD_AES, METHOD_DEFLATE, METHOD_STORED } from './zip-format';

/** One entry as the central directory describes it. */
export interface ZipEntryInfo {
  name: string;
  /** Uncompressed size. */
  size: number;
  /** Bytes in the archive (for AES: salt + verifier + ciphertext + MAC). */
  compressedSize: number;
  encrypted: boolean;
  /** WinZip AES (method 99 with its extra field): the entry is authenticated by an HMAC. */
  winZipAes: boolean;
  /** The real compression method: 0 stored, 8 deflate (also for AES entries). */
  method: number;
  mtime: Date;
  /** Unix mode when the archive recorded one. */
  mode?: number;
  /** A folder entry ("dir/"), as 7-Zip and PHP's ZipArchive write them: no file of its own. */
  folder?: boolean;
}

export interface VerifyFault {
  entry?: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  entriesChecked: number;
  /** Plaintext bytes read. */
  bytes: number;
  faults: VerifyFault[];
}

/** The named entry is not in the archive. */
export class EntryNotFoundError extends BackupError {
  constructor(readonly entry: string) {
    super(`The archive has no entry "${entry}"`, 'List the entries to see what the archive holds.');
  }
}

/** Names whose bytes are not what the name encodes back to (invalid UTF-8): rare, so kept aside. */
const ODD_RAW_NAMES = new WeakMap<DirectoryEntry, Buffer>();

/**
 * One entry of the central directory, kept as numbers and its name only: 70,000 entries held as
 * yauzl's objects (five Buffer views each, extra fields, a Date) took ~2 KB each. The small
 * fields are packed by twos into 32-bit integers, and the CRC and the time kept as such, so
 * none is a boxed heap number: 48 bytes less an entry than one field each (issue 20).
 */
class DirectoryEntry implements SmallEntry {
  /** Index in manifest.entries, once the manifest is read (-1: not listed). */
  manifestIndex = -1;
  /** Unix mode (0 when the archive recorded none) in the low 16 bits, the flags above. */
  private readonly modeAndFlags: number;
  /** Method in the central directory (99 for AES) in the low 16 bits, the real one above. */
  private readonly methods: number;
  /** WinZip AES extra field: vendor version (0: none; 0x10000: a field with version 0) and strength above. */
  private readonly aes: number;
  /** The CRC-32 as a signed integer. */
  private readonly crcBits: number;
  /** Seconds since 1970 (ZIP times are whole seconds). */
  private readonly mtimeS: number;

  constructor(
    readonly name: string,
    fields: {
      flags: number;
      centralMethod: number;
      method: number;
      crc32: number;
      mtimeMs: number;
      mode: number;
      aesVendorVersion: number;
      aesStrength: number;
    },
    readonly size: number,
    readonly compressedSize: number,
    readonly localOffset: number,
  ) {
    this.modeAndFlags = (fields.mode & 0xffff) | (fields.flags << 16);
    this.methods = (fields.centralMethod & 0xffff) | (fields.method << 16);
    this.aes = fields.aesVendorVersion | (fields.aesStrength << 17);
    this.crcBits = fields.crc32 | 0;
    this.mtimeS = Math.floor(fields.mtimeMs / 1000);
  }

  /** General purpose flags (bit 0: encrypted, bit 11: UTF-8 name). */
  get flags(): number {
    return this.modeAndFlags >>> 16;
  }

  get mode(): number {
    return this.modeAndFlags & 0xffff;
  }

  get centralMethod(): number {
    return this.methods & 0xffff;
  }

  /** The real compression method: 0 stored, 8 deflate (also for AES entries). */
  get method(): number {
    return this.methods >>> 16;
  }

  get crc32(): number {
    return this.crcBits >>> 0;
  }

  get mtimeMs(): number {
    return this.mtimeS * 1000;
  }

  get aesVendorVersion(): number {
    return this.aes & 0x1ffff;
  }

  get aesStrength(): number {
    return this.aes >>> 17;
  }

  get encrypted(): boolean {
    return (this.flags & 1) !== 0;
  }

  get hasAes(): boolean {
    return this.aesVendorVersion !== 0;
  }

  /**
   * The name's bytes as the central directory has them, made when needed: 70,000 small Buffers
   * held at once would each keep an 8 KiB allocation pool alive.
   */
  get rawName(): Buffer {
    return ODD_RAW_NAMES.get(this) ?? Buffer.from(this.name, this.flags & FLAG_UTF8 ? 'utf8' : 'latin1');
  }

  get nameLength(): number {
    return ODD_RAW_NAMES.get(this)?.length ?? Buffer.byteLength(this.name, this.flags & FLAG_UTF8 ? 'utf8' : 'latin1');
  }

  info(): ZipEntryInfo {
    return {
      name: this.name,
      size: this.size,
      compressedSize: this.compressedSize,
      encrypted: this.encrypted,
      winZipAes: this.hasAes && this.encrypted,
      method: this.method,
      mtime: new Date(this.mtimeMs),
      mode: this.mode ? this.mode : undefined,
      ...(this.name.endsWith('/') ? { folder: true } : {}),
    };
  }

  /** What yauzl needs to read the entry's local header and raw bytes. */
  yauzlEntry(): yauzl.Entry {
    return Object.assign(new yauzl.Entry(), {
      fileName: this.rawName as unknown as string,
      generalPurposeBitFlag: this.flags,
      compressionMethod: this.centralMethod,
      crc32: this.crc32,
      compressedSize: this.compressedSize,
      uncompressedSize: this.size,
      relativeOffsetOfLocalHeader: this.localOffset,
    });
  }

  /** The CRC-32 to check: AE-2 may store 0 (the MAC protects the data then); AE-1 and plain entries always carry it. */
  get crc(): number | undefined {
    return !this.hasAes || this.aesVendorVersion === 1 || this.crc32 !== 0 ? this.crc32 : undefined;
  }
}

type EntryState = DirectoryEntry;

const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;
const ENTRY_KINDS = new Map<string, EntryKind>((['database-dump', 'file', 'tenant-data', 'other'] as const).map((k) => [k, k]));
/** Local headers checked at once for entries verify does not read (S3: range GETs in flight). */
const HEADER_CHECKS_AT_ONCE = 16;
/** Small entries decoded at once: their key derivations run side by side on the thread pool. */
const SMALL_ENTRIES_AT_ONCE = 8;
/** readSmallEntries starts worker threads from this many small entries. */
const WORKERS_FROM_ENTRIES = 64;

/**
 * Lists and streams entries of a ZIP archive (WinZip AES or plain, ZIP64 included) and checks
 * everything it can: AES verifier (WrongPasswordError before any data), HMAC, CRC-32, size,
 * and the SHA-256 recorded in manifest.json. yauzl parses the directory and hands out raw
 * entry bytes; decryption and checks are done here.
 *
 * @example
 * const zip = await ZipReader.open('backup.zip', { password });
 * await pipeline(await zip.openEntry('db/shop.sql'), createWriteStream('shop.sql'));
 * await zip.close();
 */
export class ZipReader {
  private manifest?: Promise<Manifest | undefined>;
  /** Each entry knows its place in the manifest once it is read (70,000 entries: no scan each time). */
  private manifestIndexed?: Manifest;

  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly byName: Map<string, EntryState>,
    private readonly password: string | undefined,
    private readonly source: RandomAccessSource,
    private readonly ownedSource?: RandomAccessSource,
  ) {}

  /** Worker threads for readSmallEntries (see `open`); undefined = the default. */
  private threads?: number;

  /**
   * `threads`: worker threads that decode and check small entries when many are read at once
   * (readSmallEntries, verify); default one per core (at most 4); 0 does it on the calling thread.
   * `closeSource`: close() (or a failed open) also closes the given source.
   */
  static async open(
    source: string | RandomAccessSource,
    options: { password?: string; threads?: number; closeSource?: boolean } = {},
  ): Promise<ZipReader> {
    const src = typeof source === 'string' ? await fileSource(source) : source;
    // A path is opened here and closed by close(); a given source only with `closeSource`.
    const owned = typeof source === 'string' || options.closeSource ? src : undefined;
    try {
      const reader = await ZipReader.openSource(src, options.password, owned);
      reader.threads = options.threads;
      return reader;
    } catch (err) {
      await owned?.close?.();
      throw err;
    }
  }

  private static async openSource(src: RandomAccessSource, password?: string, owned?: RandomAccessSource): Promise<ZipReader> {
    if (src.size < 22) throw await notZipOrTruncated(src, `only ${src.size} bytes`);
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.fromRandomAccessReaderPromise(new SourceRandomAccessReader(src), src.size, {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: false,
        validateEntrySizes: true,
      });
    } catch (err) {
      // The source's own failure (a stalled or unreachable S3) says more than a guess at the bytes.
      if (err instanceof BackupError) throw err;
      throw await notZipOrTruncated(src, err.message);
    }
    try {
      const byName = await readDirectory(zip);
      await assertDirectoryEnds(zip, src);
      return new ZipReader(zip, byName, password, src, owned);
    } catch (err) {
      zip.close();
      if (err instanceof BackupError) throw err;
      throw /EOF|overflow|bounds/i.test(err.message)
        ? new TruncatedArchiveError(err.message)
        : new CorruptArchiveError(undefined, `central directory: ${err.message}`);
    }
  }

  entries(): ZipEntryInfo[] {
    return Array.from(this.byName.values(), (e) => e.info());
  }

  /** One entry as the central directory describes it (undefined when the archive has none of that name). */
  entry(name: string): ZipEntryInfo | undefined {
    return this.byName.get(name)?.info();
  }

  /** manifest.json of an archive made by this library. */
  async readManifest(): Promise<Manifest> {
    const manifest = await this.loadManifest();
    if (!manifest) {
      throw new BackupError('The archive has no manifest.json', 'It was not made by nest-backup; list or extract it with 7-Zip.');
    }
    return manifest;
  }

  /**
   * Streams an entry's plaintext. Rejects with WrongPasswordError / PasswordRequiredError
   * before any data; the stream errors with CorruptArchiveError at the end when a check fails.
   */
  async openEntry(name: string): Promise<Readable> {
    const state = this.byName.get(name);
    if (!state) throw new EntryNotFoundError(name);
    const info = state;
    if (info.method !== METHOD_STORED && info.method !== METHOD_DEFLATE) {
      throw new UnsupportedArchiveError(name, `compression method ${info.method}`);
    }
    // The local header is what a streaming tool (bsdtar, Info-ZIP) goes by: checked here too.
    await this.checkLocalHeader(name);
    const expectedSha = await this.expectedSha(name);

    const stages: Array<Readable | Transform> = [];
    if (info.encrypted) {
      const headerLen = this.aesHeaderLength(state);
      const [header, mac] = await Promise.all([
        this.readRaw(state, 0, headerLen),
        this.readRaw(state, info.compressedSize - AES_MAC_LENGTH, info.compressedSize),
      ]);
      const keys = await this.keysFor(
        state,
        header.subarray(0, headerLen - AES_VERIFIER_LENGTH),
        header.subarray(headerLen - AES_VERIFIER_LENGTH),
      );
      stages.push(await this.rawStream(state, headerLen, info.compressedSize - AES_MAC_LENGTH));
      stages.push(decryptStage(name, new WinZipAesDecryptor(keys), mac));
    } else {
      stages.push(await this.rawStream(state, 0, info.compressedSize));
    }
    // 256 KiB output chunks instead of 16 KiB: 16 times fewer chunks (and objects to collect) per dump.
    if (info.method === METHOD_DEFLATE) stages.push(createInflateRaw({ chunkSize: 256 * 1024 }));
    stages.push(checkStage(name, info.size, state.crc, expectedSha));
    return chain(stages, name);
  }

  /**
   * Reads the named entries and hands each one's checked plaintext (or the fault that stopped
   * it) to `visit`, in no fixed order. Entries up to 1 MiB come from batched range reads and are
   * checked in memory (see small-entry.ts); the names it returns are left for the caller to
   * stream with openEntry (large entries, or a local header that reaches past its batch).
   * A wrong or missing password rejects instead of being visited.
   */
  async readSmallEntries(
    names: string[],
    visit: (name: string, result: { data: Buffer } | { written: ExtractTarget } | { error: Error }) => void | Promise<void>,
    options: { writeTo?: (name: string) => ExtractTarget } = {},
  ): Promise<string[]> {
    return this.readSmall(
      names,
      true,
      (name, result) => {
        if ('error' in result) return visit(name, result);
        return visit(name, result.written ? { written: result.written } : { data: result.data! });
      },
      options.writeTo,
    );
  }

  /**
   * readSmallEntries; without `wantData` only each entry's size is visited (a verify), so a
   * worker need not send the plaintext back. With many entries, the decoding and checks run
   * on worker threads (entry-worker.pool.ts); with `writeTo`, a worker also writes the checked
   * entry to its target itself (a files restore: the main thread then does no file system call
   * per file) and the visit gets `written`; an entry checked on this thread comes with its data.
   */
  private async readSmall(
    names: string[],
    wantData: boolean,
    visit: (name: string, result: { size: number; data?: Buffer; written?: ExtractTarget } | { error: Error }) => void | Promise<void>,
    writeTo?: (name: string) => ExtractTarget,
  ): Promise<string[]> {
    const leftovers: string[] = [];
    const small: DirectoryEntry[] = [];
    for (const name of names) {
      const state = this.byName.get(name);
      if (!state) throw new EntryNotFoundError(name);
      const readable = state.method === METHOD_STORED || state.method === METHOD_DEFLATE;
      if (!readable || state.compressedSize > SMALL_ENTRY_BYTES || (state.encrypted && !state.hasAes)) leftovers.push(name);
      else small.push(state);
    }
    const spanBytes = this.source.batchBytes ?? BATCH_SPAN_BYTES;
    const batches = planBatches(small, this.source.size, spanBytes);
    // Workers pay off over many entries (each costs a key derivation when encrypted); a few are done here.
    const workers =
      small.length >= WORKERS_FROM_ENTRIES && this.threads !== 0 && EntryWorkerPool.available()
        ? new EntryWorkerPool(this.password, this.threads ?? defaultEntryThreads('read'))
        : undefined;
    // Two buffers, one being read while the other is decoded, reused batch after batch: a new
    // 8 MiB span per batch outlived the young generation and piled up until a full collection.
    // With workers they are shared memory, so an entry goes to a worker without a copy (a copy
    // per entry piled up in the workers, whose collector runs seldom).
    const scratch: Buffer[] = [];
    const read = (i: number) => {
      const { start, end } = batches[i];
      if (!scratch[i % 2] || scratch[i % 2].length < end - start) {
        const size = Math.max(end - start, workers ? spanBytes + 64 * 1024 : 0);
        scratch[i % 2] = workers ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafeSlow(size);
      }
      const reading = readRangeInto(this.source, start, end - 1, scratch[i % 2]);
      // Awaited when its batch's turn comes; a failure before that (S3) must not count as unhandled.
      reading.catch(() => undefined);
      return reading;
    };
    let next = batches.length ? read(0) : undefined;
    try {
      await workers?.whenReady();
      for (let i = 0; i < batches.length; i++) {
        const span = { start: batches[i].start, data: await next! };
        // The next batch is read while this one is decoded.
        next = i + 1 < batches.length ? read(i + 1) : undefined;
        await forEachConcurrently(batches[i].entries, workers ? SMALL_ENTRIES_AT_ONCE * 2 : SMALL_ENTRIES_AT_ONCE, async (entry) => {
          let data: Buffer;
          try {
            const stored = storedBytes(entry, span);
            if (!stored) return void leftovers.push(entry.name);
            if (entry.encrypted) this.aesHeaderLength(entry);
            const sha256 = await this.expectedSha(entry.name);
            const facts = {
              name: entry.name,
              size: entry.size,
              method: entry.method,
              crc: entry.crc,
              aesStrength: entry.aesStrength,
              encrypted: entry.encrypted,
            };
            const target = workers?.ready && writeTo ? writeTo(entry.name) : undefined;
            const outcome = await workers?.decode(stored, facts, sha256, wantData, target);
            if (outcome && 'problem' in outcome) throw new CorruptArchiveError(entry.name, outcome.problem);
            // A verifier that does not match is looked into below (wrong password, or a damaged salt).
            if (outcome && 'size' in outcome) return await visit(entry.name, { ...outcome, written: target });
            let keys: WinZipAesKeys | undefined;
            if (entry.encrypted) {
              const { salt, verifier } = aesHeader(entry, stored);
              keys = await this.keysFor(entry, salt, verifier);
            }
            data = decodeStored(entry, stored, keys, sha256);
            // A stored, plain entry is a view of the span, which the batch after next reuses.
            if (data.buffer === span.data.buffer) data = Buffer.from(data);
          } catch (err) {
            if (err instanceof WrongPasswordError || err instanceof PasswordRequiredError) throw err;
            return visit(entry.name, { error: err });
          }
          await visit(entry.name, { size: data.length, data });
        });
      }
    } finally {
      next?.catch(() => undefined);
      await workers?.close();
    }
    return leftovers;
  }

  /**
   * Reads every entry to the end and collects every fault instead of stopping at the first.
   * With `readData`, only the entries it accepts are read; the others get the checks that need
   * no data (local header, listed in and matching the manifest), for a caller that reads them
   * through openEntry itself, whose stream fails at the end on the same faults. Entries
   * `readLater` names are not looked at here beyond the manifest: the caller reads them itself
   * (openEntry, readSmallEntries), which checks their local headers too, before it relies on them.
   */
  async verify(options: { readData?: (entry: string) => boolean; readLater?: (entry: string) => boolean } = {}): Promise<VerifyReport> {
    const faults: VerifyFault[] = [];
    let bytes = 0;
    let checked = 0;
    let manifest: Manifest | undefined;
    if (this.byName.has(MANIFEST_NAME)) {
      try {
        manifest = await this.loadManifest();
      } catch (err) {
        if (err instanceof WrongPasswordError || err instanceof PasswordRequiredError) throw err;
        faults.push({ entry: MANIFEST_NAME, message: err.message });
      }
    }
    // Entries not read get their header checks a few at a time (one small range read each).
    const { readData, readLater } = options;
    const notRead = readData ? [...this.byName.keys()].filter((n) => n !== MANIFEST_NAME && !readData(n)) : [];
    const headerOnly = readLater ? notRead.filter((n) => !readLater(n)) : notRead;
    const headerFaults = new Map<string, Error>();
    await forEachConcurrently(headerOnly, HEADER_CHECKS_AT_ONCE, (name) =>
      this.checkLocalHeader(name).catch((err: Error) => void headerFaults.set(name, err)),
    );
    const skip = new Set(notRead);
    // Only the entries that failed: 70,000 entries that passed need no record each.
    const outcome = new Map<string, Error>();
    const toRead = [...this.byName.keys()].filter((n) => !skip.has(n));
    const streamed = await this.readSmall(toRead, false, (name, result) => {
      if ('size' in result) bytes += result.size;
      if ('error' in result) outcome.set(name, result.error);
      else outcome.delete(name);
    });
    for (const name of streamed) {
      try {
        const stream = await this.openEntry(name);
        for await (const chunk of stream) bytes += (chunk as Buffer).length;
        outcome.delete(name);
      } catch (err) {
        if (err instanceof WrongPasswordError || err instanceof PasswordRequiredError) throw err;
        outcome.set(name, err);
      }
    }
    for (const name of this.byName.keys()) {
      if (skip.has(name)) {
        const fault = headerFaults.get(name);
        if (fault) faults.push({ entry: name, message: fault.message });
        continue;
      }
      const err = outcome.get(name);
      if (!err) {
        checked++;
        continue;
      }
      if (name === MANIFEST_NAME && faults.some((f) => f.entry === MANIFEST_NAME)) continue;
      faults.push({ entry: name, message: err.message });
    }
    if (manifest) {
      for (const listed of manifest.entries) {
        const state = this.byName.get(listed.path);
        if (!state) faults.push({ entry: listed.path, message: 'listed in manifest.json but missing from the archive' });
        else if (state.size !== listed.size) {
          faults.push({ entry: listed.path, message: `manifest size ${listed.size} != archive size ${state.size}` });
        }
      }
      this.indexManifest(manifest);
      for (const [name, state] of this.byName) {
        // An empty folder entry (an archive re-packed by 7-Zip) holds nothing the manifest could list.
        if (name !== MANIFEST_NAME && state.manifestIndex < 0 && !(name.endsWith('/') && state.size === 0 && state.compressedSize === 0))
          faults.push({ entry: name, message: 'not listed in manifest.json' });
      }
    }
    return { ok: faults.length === 0, entriesChecked: checked, bytes, faults };
  }

  /**
   * The local header must agree with the central directory on name and method: the reader
   * itself goes by the central directory, but a tool that streams the archive (bsdtar, Info-ZIP)
   * goes by the local headers, so a damaged one is a fault even when the data is intact.
   */
  private async checkLocalHeader(name: string): Promise<void> {
    const state = this.byName.get(name)!;
    let local: yauzl.LocalFileHeader;
    try {
      local = await this.zip.readLocalFileHeaderPromise(state.yauzlEntry());
    } catch (err) {
      if (err instanceof BackupError) throw err;
      throw /EOF|overflow|bounds/i.test(err.message)
        ? new TruncatedArchiveError(`entry "${name}": ${err.message}`)
        : new CorruptArchiveError(name, `the local header is damaged (${err.message})`);
    }
    if (!Buffer.from(local.fileName).equals(state.rawName)) {
      throw new CorruptArchiveError(name, 'the local header names another file than the central directory');
    }
    if (local.compressionMethod !== state.centralMethod) {
      throw new CorruptArchiveError(name, 'the local header gives another compression method than the central directory');
    }
  }

  /** The SHA-256 manifest.json records for an entry (none for the manifest itself). */
  private async expectedSha(name: string): Promise<string | undefined> {
    if (name === MANIFEST_NAME || !this.byName.has(MANIFEST_NAME)) return undefined;
    const manifest = await this.loadManifest();
    if (!manifest) return undefined;
    this.indexManifest(manifest);
    const at = this.byName.get(name)?.manifestIndex ?? -1;
    return at >= 0 ? manifest.entries[at].sha256 : undefined;
  }

  /** Tells every entry where the manifest lists it (a path listed twice: the last one counts). */
  private indexManifest(manifest: Manifest): void {
    if (this.manifestIndexed === manifest) return;
    for (const entry of this.byName.values()) entry.manifestIndex = -1;
    manifest.entries.forEach((listed, i) => {
      const entry = this.shareStrings(listed);
      if (entry) entry.manifestIndex = i;
    });
    this.manifestIndexed = manifest;
  }

  /**
   * A listed path takes the entry's own name string and a kind the shared literal: the same
   * text, held once (70,000 entries: ~6 MB less). Returns the entry the path names.
   */
  private shareStrings(listed: unknown): EntryState | undefined {
    if (!listed || typeof listed !== 'object') return undefined; // a damaged list: found by the checks that read it
    const item = listed as { path?: unknown; kind?: unknown };
    if (typeof item.kind === 'string') item.kind = ENTRY_KINDS.get(item.kind) ?? item.kind;
    const entry = typeof item.path === 'string' ? this.byName.get(item.path) : undefined;
    if (entry) item.path = entry.name;
    return entry;
  }

  /** Salt + verifier length of an encrypted entry, after the checks that need no data. */
  private aesHeaderLength(state: EntryState): number {
    const { name, compressedSize } = state;
    if (!state.hasAes) throw new UnsupportedArchiveError(name, 'legacy ZipCrypto encryption');
    if (!this.password) throw new PasswordRequiredError(name);
    const saltLen = saltLength(state.aesStrength);
    if (saltLen === 0) throw new UnsupportedArchiveError(name, `AES strength ${state.aesStrength}`);
    if (compressedSize < saltLen + AES_VERIFIER_LENGTH + AES_MAC_LENGTH) {
      throw new CorruptArchiveError(name, 'the encrypted data is shorter than its salt, verifier and MAC');
    }
    return saltLen + AES_VERIFIER_LENGTH;
  }

  /** The entry's keys; WrongPasswordError when the verifier does not match. */
  private async keysFor(state: EntryState, salt: Buffer, verifier: Buffer): Promise<WinZipAesKeys> {
    const keys = await deriveKeys(this.password!, salt, state.aesStrength);
    if (!keys.verifier.equals(verifier)) {
      // The same password opening another entry means this entry's salt or verifier is damaged.
      if (await this.passwordOpensAnotherEntry(state.name)) {
        throw new CorruptArchiveError(state.name, 'the AES salt or password verifier is damaged');
      }
      throw new WrongPasswordError(state.name);
    }
    return keys;
  }

  async close(): Promise<void> {
    if (this.zip.isOpen) this.zip.close();
    await this.ownedSource?.close?.();
  }

  private loadManifest(): Promise<Manifest | undefined> {
    if (!this.byName.has(MANIFEST_NAME)) return Promise.resolve(undefined);
    this.manifest ??= (async () => {
      // Parsed piece by piece (manifest.parser.ts): the text of 70,000 entries (14 MB) is never
      // one string or Buffer. A large Buffer freed makes glibc keep every later one below its
      // size in its heap, never returned.
      const decoder = new StringDecoder('utf8');
      const parser = new ManifestParser((listed) => (this.shareStrings(listed), listed));
      let invalid: Error | undefined;
      const parse = (text: string) => {
        try {
          if (!invalid) parser.write(text);
        } catch (err) {
          invalid = err;
        }
      };
      let length = 0;
      // Read to the end even once the text is invalid: a damaged entry is reported as such.
      for await (const chunk of await this.openEntry(MANIFEST_NAME)) {
        length += (chunk as Buffer).length;
        if (length > MAX_MANIFEST_BYTES) throw new CorruptArchiveError(MANIFEST_NAME, 'implausibly large manifest');
        parse(decoder.write(chunk as Buffer));
      }
      parse(decoder.end());
      try {
        if (invalid) throw invalid;
        const manifest = parser.end() as unknown as Manifest;
        if (!Array.isArray(manifest.entries)) throw new Error('no "entries" list');
        this.indexManifest(manifest);
        return manifest;
      } catch (err) {
        throw new CorruptArchiveError(MANIFEST_NAME, `not a valid manifest: ${err.message}`);
      }
    })();
    this.manifest.catch(() => (this.manifest = undefined));
    return this.manifest;
  }

  private async passwordOpensAnotherEntry(except: string): Promise<boolean> {
    const others = [...this.byName.values()].filter((e) => e.name !== except && e.hasAes && saltLength(e.aesStrength));
    for (const other of others.slice(-3)) {
      try {
        const headerLen = saltLength(other.aesStrength) + AES_VERIFIER_LENGTH;
        const header = await this.readRaw(other, 0, headerLen);
        const keys = await deriveKeys(this.password!, header.subarray(0, headerLen - 2), other.aesStrength);
        if (keys.verifier.equals(header.subarray(headerLen - 2))) return true;
      } catch {
        // a damaged neighbour proves nothing
      }
    }
    return false;
  }

  private async rawStream(state: EntryState, start: number, end: number): Promise<Readable> {
    try {
      return await this.zip.openReadStreamPromise(state.yauzlEntry(), { decodeFileData: false, start, end });
    } catch (err) {
      if (err instanceof BackupError) throw err;
      throw /EOF|overflow|bounds/i.test(err.message)
        ? new TruncatedArchiveError(`entry "${state.name}": ${err.message}`)
        : new CorruptArchiveError(state.name, err.message);
    }
  }

  private async readRaw(state: EntryState, start: number, end: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    try {
      for await (const chunk of await this.rawStream(state, start, end)) parts.push(chunk as Buffer);
    } catch (err) {
      if (err instanceof BackupError) throw err;
      throw new TruncatedArchiveError(`entry "${state.name}": ${err.message}`);
    }
    return Buffer.concat(parts);
  }
}

async function notZipOrTruncated(src: RandomAccessSource, detail: string): Promise<BackupError> {
  let head: Buffer = Buffer.alloc(0);
  if (src.size >= 4) head = await readRange(src, 0, 3).catch(() => Buffer.alloc(0));
  if (head.length === 4 && head.readUInt32LE(0) === 0x04034b50) {
    return new TruncatedArchiveError(`${detail} (the file starts like a ZIP archive but its end is missing)`);
  }
  return new NotAZipError(detail);
}

function readDirectory(zip: yauzl.ZipFile): Promise<Map<string, EntryState>> {
  return new Promise((resolve, reject) => {
    const byName = new Map<string, EntryState>();
    zip.on('error', reject);
    zip.on('end', () => resolve(byName));
    zip.on('entry', (raw: yauzl.Entry) => {
      try {
        const state = describe(raw);
        if (byName.has(state.name)) throw new CorruptArchiveError(state.name, 'the name appears twice');
        byName.set(state.name, state);
        zip.readEntry();
      } catch (err) {
        reject(err);
      }
    });
    zip.readEntry();
  });
}

/** Signatures that may follow the last central directory record: ZIP64 end record, digital signature, end record. */
const AFTER_DIRECTORY = new Set([0x06064b50, 0x05054b50, 0x06054b50]);

/**
 * The directory must end where the end record's entry count says: yauzl reads that many records
 * and stops. A count lowered by damage would hide the last entries, and ours is manifest.json:
 * the archive would then pass for one without a manifest, unchecked against it.
 */
async function assertDirectoryEnds(zip: yauzl.ZipFile, src: RandomAccessSource): Promise<void> {
  const cursor = (zip as unknown as { readEntryCursor: number }).readEntryCursor;
  const next = cursor + 4 <= src.size ? await readRange(src, cursor, cursor + 3) : Buffer.alloc(0);
  if (next.length === 4 && !AFTER_DIRECTORY.has(next.readUInt32LE(0))) {
    throw new CorruptArchiveError(
      undefined,
      `the end of central directory record counts ${zip.entryCount} entries, but the central directory holds more`,
    );
  }
}

function describe(raw: yauzl.Entry): EntryState {
  const nameBytes = raw.fileName as unknown as Buffer;
  const name = nameBytes.toString(raw.generalPurposeBitFlag & FLAG_UTF8 ? 'utf8' : 'latin1');
  const problem = entryNameProblem(name);
  // Directory entries ("dir/") are tolerated from other tools; everything else must be safe.
  if (problem && !(name.endsWith('/') && !entryNameProblem(name.slice(0, -1)))) {
    throw new UnsafeEntryNameError(name, problem);
  }
  let aesVendorVersion = 0;
  let aesStrength = 0;
  let method = raw.compressionMethod;
  let mtimeMs: number | undefined;
  for (const field of raw.extraFields) {
    if (field.id === EXTRA_AES && field.data.length >= 7 && method === METHOD_AES) {
      // A vendor version of 0 is no AE-1 or AE-2 either: kept apart from "no AES field" as 0x10000.
      aesVendorVersion = field.data.readUInt16LE(0) || 0x10000;
      aesStrength = field.data.readUInt8(4);
      method = field.data.readUInt16LE(5);
    } else if (field.id === EXTRA_TIMESTAMP && field.data.length >= 5 && field.data[0] & 1) {
      mtimeMs = field.data.readInt32LE(1) * 1000;
    }
  }
  const madeBy = raw.versionMadeBy >> 8;
  const encoded = Buffer.from(name, raw.generalPurposeBitFlag & FLAG_UTF8 ? 'utf8' : 'latin1');
  const entry = new DirectoryEntry(
    name,
    {
      flags: raw.generalPurposeBitFlag,
      centralMethod: raw.compressionMethod,
      method,
      crc32: raw.crc32,
      mtimeMs: mtimeMs ?? yauzl.dosDateTimeToDate(raw.lastModFileDate, raw.lastModFileTime).getTime(),
      mode: madeBy === 3 ? raw.externalFileAttributes >>> 16 : 0,
      aesVendorVersion,
      aesStrength,
    },
    raw.uncompressedSize,
    raw.compressedSize,
    raw.relativeOffsetOfLocalHeader,
  );
  // A copy: a view would keep yauzl's buffer (and its allocation pool) alive.
  if (!encoded.equals(nameBytes)) ODD_RAW_NAMES.set(entry, Buffer.from(nameBytes));
  return entry;
}

/**
 * A folder entry that holds no data (7-Zip and libzip write them stored, 0 bytes, never
 * encrypted): nothing to authenticate, list or restore. One claiming data is no folder.
 */
export function isEmptyFolder(info: ZipEntryInfo): boolean {
  return !!info.folder && info.size === 0 && info.compressedSize === 0;
}

function decryptStage(name: string, decryptor: WinZipAesDecryptor, mac: Buffer): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      cb(null, decryptor.decrypt(chunk));
    },
    flush(cb: TransformCallback) {
      if (!decryptor.macMatches(mac)) return cb(new CorruptArchiveError(name, 'the authentication code (HMAC) does not match'));
      cb();
    },
  });
}

function checkStage(name: string, size: number, crc: number | undefined, sha256: string | undefined): Transform {
  const hash = sha256 ? createHash('sha256') : undefined;
  let actualCrc = 0;
  let actualSize = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      actualSize += chunk.length;
      if (actualSize > size) return cb(new CorruptArchiveError(name, `more data than the recorded size ${size}`));
      if (crc !== undefined) actualCrc = crc32(chunk, actualCrc);
      hash?.update(chunk);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      if (actualSize !== size) return cb(new CorruptArchiveError(name, `size ${actualSize} != recorded size ${size}`));
      if (crc !== undefined && actualCrc >>> 0 !== crc >>> 0) return cb(new CorruptArchiveError(name, 'CRC-32 mismatch'));
      if (hash && sha256 && hash.digest('hex') !== sha256) {
        return cb(new CorruptArchiveError(name, 'SHA-256 does not match manifest.json'));
      }
      cb();
    },
  });
}

/** Pipes the stages together; any failure ends the last stage with an error that names the entry. */
function chain(stages: Array<Readable | Transform>, name: string): Readable {
  const last = stages[stages.length - 1] as Transform;
  let failed = false;
  const fail = (err: Error) => {
    if (failed) return;
    failed = true;
    for (const s of stages) if (s !== last) s.destroy();
    const mapped = err instanceof BackupError ? err : new CorruptArchiveError(name, err.message);
    last.destroy(mapped);
  };
  for (let i = 0; i < stages.length - 1; i++) {
    stages[i].on('error', fail);
    stages[i].pipe(stages[i + 1] as Transform);
  }
  last.once('close', () => {
    for (const s of stages) if (s !== last && !s.destroyed) s.destroy();
  });
  return last;
}
