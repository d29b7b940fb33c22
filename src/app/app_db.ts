// The app's own IndexedDB: the local sign-in key (a non-extractable WebCrypto key pair: the
// browser can sign with it but no script can read it out) and the files of unfinished uploads,
// kept so that an upload interrupted by a reload or a closed tab resumes without asking for them.
const DB_NAME = 'ic-upload-app';
const KEYS = 'keys';
const PENDING = 'pending';

export interface PendingFile {
  /** The job id, also the key. */
  id: string;
  file: File;
  assetId: string;
  makePublic: boolean;
  /** Whose upload it is (canister:principal): another identity never picks it up. */
  namespace: string;
}

let db: Promise<IDBDatabase> | undefined;

function open(): Promise<IDBDatabase> {
  db ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(KEYS);
      req.result.createObjectStore(PENDING, { keyPath: 'id' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return db;
}

async function run<T>(store: string, mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const tx = (await open()).transaction(store, mode);
  const req = op(tx.objectStore(store));
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error ?? req.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export async function loadKeyPair(name: string): Promise<CryptoKeyPair | undefined> {
  const value = await run(KEYS, 'readonly', (s) => s.get(name));
  return value && typeof value === 'object' && 'privateKey' in value ? (value as CryptoKeyPair) : undefined;
}

export async function saveKeyPair(name: string, keyPair: CryptoKeyPair): Promise<void> {
  await run(KEYS, 'readwrite', (s) => s.put(keyPair, name));
}

export async function savePending(p: PendingFile): Promise<void> {
  await run(PENDING, 'readwrite', (s) => s.put(p));
}

export async function deletePending(id: string): Promise<void> {
  await run(PENDING, 'readwrite', (s) => s.delete(id));
}

export async function loadPending(namespace: string): Promise<PendingFile[]> {
  const all = (await run(PENDING, 'readonly', (s) => s.getAll())) as PendingFile[];
  return all.filter((p) => p.namespace === namespace && p.file instanceof Blob);
}
