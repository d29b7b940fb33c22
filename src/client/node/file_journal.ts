// The resume journal as a JSON file, written atomically (temp file + rename) so a crash mid-write
// leaves the previous version, never half a file. Writes are serialised within the process.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseJournalEntry } from '../journal.js';
import type { Journal, JournalEntry } from '../types.js';
import { stateDir } from './state_dir.js';

export class FileJournal implements Journal {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string = join(stateDir(), 'journal.json')) {}

  async get(fp: string): Promise<JournalEntry | undefined> {
    await this.queue;
    return (await this.load()).get(fp);
  }

  set(fp: string, entry: JournalEntry): Promise<void> {
    return this.update((map) => map.set(fp, entry));
  }

  delete(fp: string): Promise<void> {
    return this.update((map) => map.delete(fp));
  }

  async entries(): Promise<Array<[string, JournalEntry]>> {
    await this.queue;
    return [...(await this.load()).entries()];
  }

  private update(change: (map: Map<string, JournalEntry>) => void): Promise<void> {
    const next = this.queue.then(async () => {
      const map = await this.load();
      change(map);
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ version: 1, uploads: Object.fromEntries(map) }, null, 2));
      await rename(tmp, this.path);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<Map<string, JournalEntry>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    const map = new Map<string, JournalEntry>();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return map; // a corrupt journal only costs resumability
    }
    const uploads = (parsed as { uploads?: Record<string, unknown> }).uploads ?? {};
    for (const [fp, value] of Object.entries(uploads)) {
      const entry = parseJournalEntry(value);
      if (entry) map.set(fp, entry);
    }
    return map;
  }
}
