// The in-memory records of stored uploads, in the two shapes the `base64` defect switches between.
//
// As with the job store, the defect is *which* store the server is given: DataUrlUploadStore is
// seed 000's `to_data_url_from_bytes()` result kept around (the bytes and their base64 data URL,
// +33 %, in a map nobody removes from); MetadataUploadStore keeps what a fixed service needs to
// answer about an upload (id, size, sha256, where it is) and forgets it once the file is gone.
import { readFile } from 'node:fs/promises';

/** What is known about a stored upload without holding its bytes. */
export interface UploadMeta {
  readonly id: string;
  readonly size: number;
  /** Hex sha256 of the stored bytes. */
  readonly sha256: string;
  /** Absolute path of the stored file under output/. */
  readonly path: string;
  /** Wall-clock ms, as file ages are (retention compares it with mtimes). */
  readonly createdAt: number;
  readonly filename: string;
  readonly mimeType: string;
}

export interface UploadRecord extends UploadMeta {
  /** base64 defect only: the original bytes... */
  readonly bytes?: Buffer;
  /** ...and the `data:<mime>;base64,…` URL made from them, held beside them. */
  readonly dataUrl?: string;
}

export interface UploadStore {
  /** Records currently held. */
  readonly size: number;
  /**
   * Record a stored upload. `bytes` is the file when the caller still has it in memory; a store
   * that wants the bytes and was not given them reads the stored file back.
   */
  add(meta: UploadMeta, bytes: Buffer | null): Promise<UploadRecord>;
  get(id: string): UploadRecord | undefined;
  /** Retention removed the file. */
  forget(id: string): void;
  /** Bytes the records hold beyond their metadata (the Buffers and the data URL strings). */
  payloadBytesHeld(): number;
}

export function dataUrlOf(mimeType: string, bytes: Buffer): string {
  // A string over V8's length limit throws here (ERR_STRING_TOO_LONG): the route's catch turns it
  // into a 500 and the process keeps serving.
  return `data:${mimeType};base64,${bytes.toString('base64')}`;
}

abstract class MapUploadStore implements UploadStore {
  protected readonly records = new Map<string, UploadRecord>();

  get size(): number {
    return this.records.size;
  }

  abstract add(meta: UploadMeta, bytes: Buffer | null): Promise<UploadRecord>;

  get(id: string): UploadRecord | undefined {
    return this.records.get(id);
  }

  abstract forget(id: string): void;

  payloadBytesHeld(): number {
    let total = 0;
    // A data URL is ASCII: one byte per character (V8 keeps it as a one-byte string).
    for (const r of this.records.values()) total += (r.bytes?.length ?? 0) + (r.dataUrl?.length ?? 0);
    return total;
  }
}

/** The `base64` defect: bytes + data URL per upload, kept for the life of the process. */
export class DataUrlUploadStore extends MapUploadStore {
  async add(meta: UploadMeta, bytes: Buffer | null): Promise<UploadRecord> {
    const held = bytes ?? (await readFile(meta.path));
    const record: UploadRecord = { ...meta, bytes: held, dataUrl: dataUrlOf(meta.mimeType, held) };
    this.records.set(meta.id, record);
    return record;
  }

  forget(_id: string): void {
    // Deliberately nothing: this is the defect. The file may be gone, its base64 copy stays.
  }
}

/** Fixed: metadata only, dropped with the file. */
export class MetadataUploadStore extends MapUploadStore {
  async add(meta: UploadMeta, _bytes: Buffer | null): Promise<UploadRecord> {
    // A copy of the fields, so no caller's object (which might carry more) is what stays reachable.
    const { id, size, sha256, path, createdAt, filename, mimeType } = meta;
    const record: UploadRecord = { id, size, sha256, path, createdAt, filename, mimeType };
    this.records.set(id, record);
    return record;
  }

  forget(id: string): void {
    this.records.delete(id);
  }
}

export function createUploadStore(base64Defect: boolean): UploadStore {
  return base64Defect ? new DataUrlUploadStore() : new MetadataUploadStore();
}
