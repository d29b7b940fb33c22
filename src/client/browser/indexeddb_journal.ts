// The resume journal in IndexedDB: one object store, fingerprint → entry.
import { parseJournalEntry } from '../journal.js';
import type { Journal, JournalEntry } from '../types.js';

const STORE = 'uploads';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export class IndexedDbJournal implements Journal {
  private db: Promise<IDBDatabase> | undefined;

  constructor(
    readonly databaseName = 'ic-upload',
    private readonly factory: IDBFactory = globalThis.indexedDB
  ) {}

  async get(fp: string): Promise<JournalEntry | undefined> {
    return parseJournalEntry(await request((await this.store('readonly')).get(fp)));
  }

  async set(fp: string, entry: JournalEntry): Promise<void> {
    await request((await this.store('readwrite')).put(entry, fp));
  }

  async delete(fp: string): Promise<void> {
    await request((await this.store('readwrite')).delete(fp));
  }

  async entries(): Promise<Array<[string, JournalEntry]>> {
    const store = await this.store('readonly');
    const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
    const out: Array<[string, JournalEntry]> = [];
    keys.forEach((key, i) => {
      const entry = parseJournalEntry(values[i]);
      if (typeof key === 'string' && entry) out.push([key, entry]);
    });
    return out;
  }

  private async store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    this.db ??= new Promise((resolve, reject) => {
      const open = this.factory.open(this.databaseName, 1);
      open.onupgradeneeded = () => open.result.createObjectStore(STORE);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    return (await this.db).transaction(STORE, mode).objectStore(STORE);
  }
}
