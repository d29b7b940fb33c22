// Journal housekeeping: entries the canister no longer knows, entries past the idle timeout, and
// one identity's entries never seen, resumed or forgotten by another.
import { describe, expect, it } from 'vitest';
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { idlFactory, type IcUploadService } from '../../../candid/ic_upload.js';
import { journalNamespaceOf, MemoryJournal, memorySource, namespaceEntries, pruneJournal, Uploader } from '../../../src/client/index.js';
import { BOB, FakeUploadService, withFaults } from '../../support/fake_upload_service.js';
import { bytes, fakeClock } from './helpers.js';

const CHUNK = 1000;

/** Leaves an open upload of `name` in the journal under `namespace` (the run "crashes"). */
async function interrupted(fake: FakeUploadService, journal: MemoryJournal, namespace: string, name: string, seed: number) {
  const crashing = withFaults(fake, (m, n) => (m === 'put_chunk' && n === 1 ? new Error('killed') : undefined));
  await new Uploader({ actor: crashing, journal, journalNamespace: namespace, chunkSize: CHUNK, clock: fakeClock(), concurrency: { chunks: 1 } })
    .upload({ source: memorySource(bytes(3 * CHUNK, seed), name, '', 1) })
    .catch(() => undefined);
}

describe('pruneJournal', () => {
  it('drops entries of uploads the canister no longer has open, keeps the open ones', async () => {
    const fake = new FakeUploadService();
    const journal = new MemoryJournal();
    await interrupted(fake, journal, 'ns', 'open.bin', 1);
    await interrupted(fake, journal, 'ns', 'gone.bin', 2);
    await interrupted(fake, journal, 'ns', 'freed.bin', 3);
    const ids = (await journal.entries()).map(([, e]) => e.uploadId);
    expect(ids).toEqual(['1', '2', '3']);
    await fake.abort(2n); // expired, say
    fake.sessions.delete(3n); // freed: the canister answers NotFound
    const dropped = await pruneJournal(journal, { namespace: 'ns', now: 0, actor: fake });
    expect(dropped).toHaveLength(2);
    expect((await journal.entries()).map(([, e]) => e.uploadId)).toEqual(['1']);
  });

  it('without the canister, prunes entries older than the idle timeout', async () => {
    const journal = new MemoryJournal();
    const base = { assetId: 'a', variant: 'original', size: 1, chunkSize: 1, namespace: 'ns' };
    await journal.set('ic-upload:ns:old', { ...base, uploadId: '1', createdAt: 1_000 });
    await journal.set('ic-upload:ns:new', { ...base, uploadId: '2', createdAt: 1_000 + 600_000 });
    await journal.set('ic-upload:other:old', { ...base, uploadId: '3', createdAt: 1_000, namespace: 'other' });
    const dropped = await pruneJournal(journal, { namespace: 'ns', now: 1_000 + 900_001, idleTimeoutMs: 900_000 });
    expect(dropped).toEqual(['ic-upload:ns:old']);
    expect((await journal.entries()).map(([fp]) => fp).sort()).toEqual(['ic-upload:ns:new', 'ic-upload:other:old']);
  });

  it('never touches another namespace: a second identity neither resumes nor forgets the first one\'s upload', async () => {
    const fake = new FakeUploadService();
    const journal = new MemoryJournal();
    await interrupted(fake, journal, 'canister:alice', 'shared.bin', 9);
    // Bob uploads the same file under his own namespace: a fresh upload, Alice's entry stays.
    fake.caller = BOB;
    await new Uploader({ actor: fake, journal, journalNamespace: 'canister:bob', chunkSize: CHUNK, clock: fakeClock() }).upload({
      source: memorySource(bytes(3 * CHUNK, 9), 'shared.bin', '', 1),
      assetId: 'bob/shared.bin'
    });
    expect(fake.count('begin')).toBe(2);
    expect(fake.count('upload_status')).toBe(0);
    await pruneJournal(journal, { namespace: 'canister:bob', now: 0, actor: fake });
    expect((await namespaceEntries(journal, 'canister:alice')).map(([, e]) => e.uploadId)).toEqual(['1']);
  });
});

describe('journalNamespaceOf', () => {
  it('names an agent-js actor by canister and principal, and nothing else', async () => {
    const identity = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(7));
    const agent = HttpAgent.createSync({ identity, host: 'http://127.0.0.1:9' });
    const actor = Actor.createActor<IcUploadService>(idlFactory, { agent, canisterId: 'aaaaa-aa' });
    expect(await journalNamespaceOf(actor)).toBe(`aaaaa-aa:${identity.getPrincipal().toText()}`);
    expect(await journalNamespaceOf(new FakeUploadService())).toBeUndefined();
  });
});
