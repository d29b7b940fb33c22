// Replica conformance: canister lifecycle through the management canister as pic-js drives it.
// Chunked install of the 3.5 MB Azle wasm, init / post_upgrade semantics, upgrade and reinstall,
// failed installs having no effect, canister_status, stop / start, controllers.
import { type Actor, createIdentity, PocketIc } from '@dfinity/pic';
import type { Principal } from '@icp-sdk/core/principal';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  callFailure,
  CONFORMANCE_WASM,
  conformanceWasmBytes,
  type ConformanceService,
  idlFactory,
  trapText
} from '../support/conformance.js';

// pic-js switches to upload_chunk + install_chunked_code above this many bytes of wasm + arg.
const PIC_CHUNKED_INSTALL_THRESHOLD = 1_850_000;
const TRAP_ARG = new TextEncoder().encode('trap');

const owner = createIdentity('conformance-owner');
const alice = createIdentity('conformance-alice');
const stranger = createIdentity('conformance-stranger');

let pic: PocketIc;

beforeAll(async () => {
  pic = await PocketIc.create(inject('PIC_URL'));
});

afterAll(async () => {
  await pic?.tearDown();
});

async function setupOwned(): Promise<{ canisterId: Principal; actor: Actor<ConformanceService> }> {
  return pic.setupCanister<ConformanceService>({
    idlFactory,
    wasm: CONFORMANCE_WASM,
    sender: owner.getPrincipal()
  });
}

function sorted(principals: Principal[]): string[] {
  return principals.map((p) => p.toText()).sort();
}

describe('install', () => {
  let canisterId: Principal;
  let actor: Actor<ConformanceService>;

  beforeAll(async () => {
    ({ canisterId, actor } = await setupOwned());
  });

  it('installs the Azle wasm through the chunked path and runs canister_init once', async () => {
    expect(conformanceWasmBytes().byteLength).toBeGreaterThan(PIC_CHUNKED_INSTALL_THRESHOLD);
    expect(await actor.get_state()).toEqual({
      counter: 0n,
      stored: [],
      installs: 1n,
      upgrades: 0n,
      timer_fired: 0n
    });
  });

  it('canister_status reports running, the controllers, the module hash and a cycle balance', async () => {
    const status = await pic.canisterStatus({ canisterId, sender: owner.getPrincipal() });
    expect(status.status).toEqual({ running: null });
    expect(sorted(status.settings.controllers)).toEqual([owner.getPrincipal().toText()]);
    const expectedHash = createHash('sha256').update(conformanceWasmBytes()).digest();
    expect(status.moduleHash).not.toBeNull();
    expect(Buffer.from(status.moduleHash as Uint8Array).equals(expectedHash)).toBe(true);
    expect(status.cycles).toBeGreaterThan(0n);
    expect(status.memorySize).toBeGreaterThan(0n);
  });

  it('install on a canister that already has code is refused and changes nothing', async () => {
    await actor.set_state(3n);
    const failure = await callFailure(
      pic.installCode({ canisterId, wasm: CONFORMANCE_WASM, sender: owner.getPrincipal() })
    );
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(514);
    expect(failure.rejectMessage).toContain(
      `Canister ${canisterId.toText()} cannot be installed because the canister is not empty.`
    );
    const state = await actor.get_state();
    expect(state.counter).toBe(3n);
    expect(state.installs).toBe(1n);
  });

  it('a trapping canister_init leaves the canister empty; a later install succeeds', async () => {
    const emptyId = await pic.createCanister({ sender: owner.getPrincipal() });
    const failure = await callFailure(
      pic.installCode({ canisterId: emptyId, wasm: CONFORMANCE_WASM, arg: TRAP_ARG, sender: owner.getPrincipal() })
    );
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(503);
    expect(failure.rejectMessage).toContain(trapText('init refused'));

    const status = await pic.canisterStatus({ canisterId: emptyId, sender: owner.getPrincipal() });
    expect(status.moduleHash).toBeNull();
    const empty = pic.createActor<ConformanceService>(idlFactory, emptyId);
    expect((await callFailure(empty.set_state(1n))).errorCode).toBe(537);
    expect((await callFailure(empty.get_state())).errorCode).toBe(537);

    await pic.installCode({ canisterId: emptyId, wasm: CONFORMANCE_WASM, sender: owner.getPrincipal() });
    expect((await empty.get_state()).installs).toBe(1n);
  });
});

describe('upgrade and reinstall', () => {
  let canisterId: Principal;
  let actor: Actor<ConformanceService>;

  beforeAll(async () => {
    ({ canisterId, actor } = await setupOwned());
  });

  it('upgrade keeps stable memory, resets the heap and runs post_upgrade instead of init', async () => {
    await actor.set_state(42n);
    const versionBefore = await actor.version();
    await pic.upgradeCanister({ canisterId, wasm: CONFORMANCE_WASM, sender: owner.getPrincipal() });
    expect(await actor.get_state()).toEqual({
      counter: 0n,
      stored: [42n],
      installs: 1n,
      upgrades: 1n,
      timer_fired: 0n
    });
    expect(await actor.version()).toBeGreaterThan(versionBefore);
  });

  it('a trapping post_upgrade rolls the whole upgrade back: old heap, old stable memory', async () => {
    await actor.set_state(43n);
    const failure = await callFailure(
      pic.upgradeCanister({ canisterId, wasm: CONFORMANCE_WASM, arg: TRAP_ARG, sender: owner.getPrincipal() })
    );
    expect(failure.rejectCode).toBe(5);
    expect(failure.errorCode).toBe(503);
    expect(failure.rejectMessage).toContain(trapText('post_upgrade refused'));
    expect(await actor.get_state()).toEqual({
      counter: 43n,
      stored: [43n],
      installs: 1n,
      upgrades: 1n,
      timer_fired: 0n
    });
  });

  it('reinstall drops stable memory and the heap and runs init again', async () => {
    await actor.set_state(44n);
    await pic.reinstallCode({ canisterId, wasm: CONFORMANCE_WASM, sender: owner.getPrincipal() });
    expect(await actor.get_state()).toEqual({
      counter: 0n,
      stored: [],
      installs: 1n,
      upgrades: 0n,
      timer_fired: 0n
    });
  });
});

describe('stop and start', () => {
  let canisterId: Principal;
  let actor: Actor<ConformanceService>;

  beforeAll(async () => {
    ({ canisterId, actor } = await setupOwned());
  });

  it('a stopped canister rejects updates and queries with IC0508; start brings it back with its state', async () => {
    await actor.set_state(8n);
    await pic.stopCanister({ canisterId, sender: owner.getPrincipal() });
    const status = await pic.canisterStatus({ canisterId, sender: owner.getPrincipal() });
    expect(status.status).toEqual({ stopped: null });

    const update = await callFailure(actor.set_state(9n));
    expect(update.rejectCode).toBe(5);
    expect(update.errorCode).toBe(508);
    expect(update.rejectMessage).toContain(`Canister ${canisterId.toText()} is stopped`);
    const query = await callFailure(actor.get_state());
    expect(query.rejectCode).toBe(5);
    expect(query.errorCode).toBe(508);

    await pic.startCanister({ canisterId, sender: owner.getPrincipal() });
    expect((await pic.canisterStatus({ canisterId, sender: owner.getPrincipal() })).status).toEqual({ running: null });
    const state = await actor.get_state();
    expect(state.counter).toBe(8n);
    expect(state.stored).toEqual([8n]);
  });
});

describe('controllers', () => {
  let canisterId: Principal;
  let actor: Actor<ConformanceService>;

  beforeAll(async () => {
    ({ canisterId, actor } = await setupOwned());
  });

  it('a non-controller can neither read the status, stop, nor install code (IC0512)', async () => {
    await actor.set_state(12n);
    const status = await callFailure(pic.canisterStatus({ canisterId, sender: stranger.getPrincipal() }));
    expect(status.rejectCode).toBe(5);
    expect(status.errorCode).toBe(512);
    expect(status.rejectMessage).toContain(canisterId.toText());

    const stop = await callFailure(pic.stopCanister({ canisterId, sender: stranger.getPrincipal() }));
    expect(stop.errorCode).toBe(512);

    const upgrade = await callFailure(
      pic.upgradeCanister({ canisterId, wasm: CONFORMANCE_WASM, sender: stranger.getPrincipal() })
    );
    expect(upgrade.rejectCode).toBe(5);
    expect(upgrade.errorCode).toBe(512);

    const reinstall = await callFailure(
      pic.reinstallCode({ canisterId, wasm: CONFORMANCE_WASM, sender: stranger.getPrincipal() })
    );
    expect(reinstall.errorCode).toBe(512);

    const state = await actor.get_state();
    expect(state.counter).toBe(12n);
    expect(state.upgrades).toBe(0n);
    expect((await pic.canisterStatus({ canisterId, sender: owner.getPrincipal() })).status).toEqual({ running: null });
  });

  it('update_settings replaces the controllers, and only the new ones are obeyed', async () => {
    await pic.updateCanisterSettings({
      canisterId,
      controllers: [owner.getPrincipal(), alice.getPrincipal()],
      sender: owner.getPrincipal()
    });
    const both = sorted([owner.getPrincipal(), alice.getPrincipal()]);
    expect(sorted(await pic.getControllers(canisterId))).toEqual(both);
    expect(sorted((await pic.canisterStatus({ canisterId, sender: alice.getPrincipal() })).settings.controllers)).toEqual(both);
    expect(await actor.is_controller(alice.getPrincipal())).toBe(true);

    await pic.updateCanisterSettings({ canisterId, controllers: [alice.getPrincipal()], sender: alice.getPrincipal() });
    expect(sorted(await pic.getControllers(canisterId))).toEqual([alice.getPrincipal().toText()]);
    expect(await actor.is_controller(owner.getPrincipal())).toBe(false);
    const ownerNow = await callFailure(pic.canisterStatus({ canisterId, sender: owner.getPrincipal() }));
    expect(ownerNow.errorCode).toBe(512);

    await pic.upgradeCanister({ canisterId, wasm: CONFORMANCE_WASM, sender: alice.getPrincipal() });
    expect((await actor.get_state()).upgrades).toBe(1n);
  });
});
