// Conformance canister: each method exercises one System API rule that the embedded replica must
// honour exactly as the IC does (atomic updates, queries that never persist, upgrades that keep
// stable memory and reset the heap, timers, instruction limits, callers, rejects, inter-canister
// calls, cycles). tests/e2e/replica.*.test.ts drive it through @dfinity/pic; the hand-written
// idlFactory in tests/support/conformance.ts must match the signatures below.
import {
    call,
    CallError,
    canisterSelf,
    canisterVersion,
    IDL,
    init,
    inReplicatedExecution,
    inspectMessage,
    isController,
    msgArgData,
    msgCaller,
    msgCyclesAccept,
    msgCyclesAvailable,
    msgCyclesRefunded,
    msgMethodName,
    msgReject,
    msgReply,
    performanceCounter,
    postUpgrade,
    Principal,
    query,
    setTimer,
    StableBTreeMap,
    time,
    trap,
    update
} from 'azle';

// Memory id 0: a few named counters, so the tests can tell stable memory from the heap.
const stable = new StableBTreeMap<string, bigint>(0);
// Memory id 1: raw bytes, to make stable memory grow on demand.
const rawBytes = { toBytes: (data: Uint8Array): Uint8Array => data, fromBytes: (bytes: Uint8Array): Uint8Array => bytes };
const ballast = new StableBTreeMap<string, Uint8Array>(1, undefined, rawBytes);

const KEY_VALUE = 'value';
const KEY_INSTALLS = 'installs';
const KEY_UPGRADES = 'upgrades';
const KEY_TIMER_FIRED = 'timer_fired';

// The init / post_upgrade argument that makes the hook trap, to test that a failed install or
// upgrade has no effect.
const TRAP_ARG = 'trap';

const State = IDL.Record({
    counter: IDL.Nat64,
    stored: IDL.Opt(IDL.Nat64),
    installs: IDL.Nat64,
    upgrades: IDL.Nat64,
    timer_fired: IDL.Nat64
});
type State = {
    counter: bigint;
    stored: [] | [bigint];
    installs: bigint;
    upgrades: bigint;
    timer_fired: bigint;
};

const TimerState = IDL.Record({ fired: IDL.Nat32, last_fired_at: IDL.Opt(IDL.Nat64) });
type TimerState = { fired: number; last_fired_at: [] | [bigint] };

const Scheduled = IDL.Record({ timer_id: IDL.Nat64, scheduled_at: IDL.Nat64 });

const Counts = IDL.Record({ before: IDL.Nat64, after: IDL.Nat64 });
const ContextCounts = IDL.Record({ execution: IDL.Nat64, call_context: IDL.Nat64 });
const TimePair = IDL.Record({ first: IDL.Nat64, second: IDL.Nat64 });

const RawCallResult = IDL.Variant({
    Ok: IDL.Vec(IDL.Nat8),
    Err: IDL.Record({ reject_code: IDL.Nat32, reject_message: IDL.Text })
});
type RawCallResult =
    | { Ok: Uint8Array }
    | { Err: { reject_code: number; reject_message: string } };

const Accepted = IDL.Record({ available: IDL.Nat, accepted: IDL.Nat });
type Accepted = { available: bigint; accepted: bigint };
const CyclesTransfer = IDL.Record({
    available: IDL.Nat,
    accepted: IDL.Nat,
    refunded: IDL.Nat
});

function storedValue(key: string): bigint {
    return stable.get(key) ?? 0n;
}

function bump(key: string): void {
    stable.insert(key, storedValue(key) + 1n);
}

// Manual methods decode their own arguments (Azle passes them none).
function textArg(): string {
    return IDL.decode([IDL.Text], msgArgData())[0] as string;
}

function nat32Arg(): number {
    return IDL.decode([IDL.Nat32], msgArgData())[0] as number;
}

function argText(): string {
    return new TextDecoder().decode(msgArgData());
}

// Burns instructions in a way QuickJS cannot optimise away, so counts scale with n.
function work(n: number): number {
    let acc = 0;
    for (let i = 0; i < n; i++) {
        acc = (acc * 31 + i) % 1_000_003;
    }
    return acc;
}

// A Candid `blob` reply of n zero bytes, encoded by hand: the IDL encoder would spend billions of
// QuickJS instructions on a multi-megabyte vector and hit the query limit before the reply limit.
function blobReply(n: number): Uint8Array {
    const header = [0x44, 0x49, 0x44, 0x4c, 0x01, 0x6d, 0x7b, 0x01, 0x00];
    let rest = n;
    do {
        const byte = rest & 0x7f;
        rest = Math.floor(rest / 128);
        header.push(rest > 0 ? byte | 0x80 : byte);
    } while (rest > 0);
    const bytes = new Uint8Array(header.length + n);
    bytes.set(header, 0);
    return bytes;
}

function rejectOf(error: unknown): RawCallResult {
    const e = error as CallError;
    if (e.type === 'CallRejected') {
        return { Err: { reject_code: e.rejectCode, reject_message: e.rejectMessage } };
    }
    throw error;
}

export default class {
    // Heap state: reset by an upgrade.
    counter: bigint = 0n;
    heapBallast: Uint8Array[] = [];
    timerFired: number = 0;
    timerFiredAt: bigint | undefined = undefined;

    @init([], { manual: true })
    init(): void {
        if (argText() === TRAP_ARG) {
            trap('init refused');
        }
        bump(KEY_INSTALLS);
    }

    @postUpgrade([], { manual: true })
    postUpgrade(): void {
        if (argText() === TRAP_ARG) {
            trap('post_upgrade refused');
        }
        bump(KEY_UPGRADES);
    }

    // Manual mode: an automatic inspect would decode the argument with the target method's types
    // and trap on unknown methods, hiding the IC0536 the unknown-method test expects.
    @inspectMessage({ manual: true })
    inspect(): boolean {
        const method = msgMethodName();
        if (method === 'inspect_trap') {
            trap('inspect_message refused');
        }
        return method !== 'inspect_denied';
    }

    // ---- state and atomicity ----

    @query([], State)
    get_state(): State {
        return this.state();
    }

    @update([IDL.Nat64], State)
    set_state(v: bigint): State {
        this.counter = v;
        stable.insert(KEY_VALUE, v);
        return this.state();
    }

    @update([IDL.Nat64], State)
    write_then_trap(v: bigint): State {
        this.counter = v;
        stable.insert(KEY_VALUE, v);
        trap(`write_then_trap(${v})`);
    }

    // A query may write; the writes must vanish once it returns, whether it ran as a
    // non-replicated query or was called as an update.
    // Memory growth is part of the transaction too: a trap after growing the Wasm heap or
    // stable memory must leave the canister's memory size as it was.
    @update([IDL.Nat32], IDL.Nat64)
    grow_heap(bytes: number): bigint {
        this.heapBallast.push(new Uint8Array(bytes).fill(1));
        return BigInt(this.heapBallast.reduce((total, b) => total + b.length, 0));
    }

    @update([IDL.Nat32], IDL.Nat64)
    grow_heap_then_trap(bytes: number): bigint {
        this.heapBallast.push(new Uint8Array(bytes).fill(1));
        trap(`grew the heap by ${bytes} bytes`);
    }

    @update([IDL.Text, IDL.Nat32], IDL.Nat64)
    grow_stable(key: string, bytes: number): bigint {
        ballast.insert(key, new Uint8Array(bytes).fill(2));
        return BigInt(ballast.len());
    }

    @update([IDL.Text, IDL.Nat32], IDL.Nat64)
    grow_stable_then_trap(key: string, bytes: number): bigint {
        ballast.insert(key, new Uint8Array(bytes).fill(2));
        trap(`grew stable memory by ${bytes} bytes`);
    }

    @query([IDL.Nat64], State)
    write_in_query(v: bigint): State {
        this.counter = v;
        stable.insert(KEY_VALUE, v);
        return this.state();
    }

    @query([], IDL.Bool)
    replicated(): boolean {
        return inReplicatedExecution();
    }

    @query([], IDL.Nat64)
    version(): bigint {
        return canisterVersion();
    }

    // ---- callers and identity ----

    @update([], IDL.Principal)
    whoami(): Principal {
        return msgCaller();
    }

    @query([], IDL.Principal)
    whoami_query(): Principal {
        return msgCaller();
    }

    @query([], IDL.Principal)
    self_id(): Principal {
        return canisterSelf();
    }

    @query([IDL.Principal], IDL.Bool)
    is_controller(p: Principal): boolean {
        return isController(p);
    }

    // ---- rejects and traps ----

    @update([IDL.Text], IDL.Text, { manual: true })
    reject_with(): void {
        msgReject(textArg());
    }

    @query([IDL.Text], IDL.Text, { manual: true })
    reject_with_query(): void {
        msgReject(textArg());
    }

    @update([IDL.Text], IDL.Text)
    trap_with(message: string): string {
        trap(message);
    }

    @query([IDL.Text], IDL.Text)
    trap_with_query(message: string): string {
        trap(message);
    }

    // inspect_message rejects this method before it runs.
    @update([], IDL.Text)
    inspect_denied(): string {
        return 'inspect_message let inspect_denied through';
    }

    // inspect_message traps on this method before it runs.
    @update([], IDL.Text)
    inspect_trap(): string {
        return 'inspect_message let inspect_trap through';
    }

    // ---- timers ----

    @update([IDL.Nat32], Scheduled)
    schedule(seconds: number): { timer_id: bigint; scheduled_at: bigint } {
        const timer_id = setTimer(seconds, () => {
            this.timerFired += 1;
            this.timerFiredAt = time();
            bump(KEY_TIMER_FIRED);
        });
        return { timer_id, scheduled_at: time() };
    }

    // A timer that traps is rolled back like any other execution.
    @update([IDL.Nat32], Scheduled)
    schedule_trap(seconds: number): { timer_id: bigint; scheduled_at: bigint } {
        const timer_id = setTimer(seconds, () => {
            this.timerFired += 1;
            bump(KEY_TIMER_FIRED);
            trap('timer trapped');
        });
        return { timer_id, scheduled_at: time() };
    }

    @query([], TimerState)
    timer_state(): TimerState {
        return {
            fired: this.timerFired,
            last_fired_at: this.timerFiredAt === undefined ? [] : [this.timerFiredAt]
        };
    }

    // ---- time ----

    @query([], IDL.Nat64)
    now(): bigint {
        return time();
    }

    @update([], IDL.Nat64)
    now_update(): bigint {
        return time();
    }

    // ic0.time is constant within one execution, however much work happens in between.
    @update([IDL.Nat32], TimePair)
    time_twice(n: number): { first: bigint; second: bigint } {
        const first = time();
        work(n);
        return { first, second: time() };
    }

    // ---- instruction counting and limits ----

    @update([IDL.Nat32], Counts)
    instruction_counts(n: number): { before: bigint; after: bigint } {
        const before = performanceCounter(0);
        work(n);
        return { before, after: performanceCounter(0) };
    }

    @update([IDL.Nat32], IDL.Nat64)
    instruction_count_of(n: number): bigint {
        const before = performanceCounter(0);
        work(n);
        return performanceCounter(0) - before;
    }

    @query([IDL.Nat32], IDL.Nat64)
    instruction_count_of_query(n: number): bigint {
        const before = performanceCounter(0);
        work(n);
        return performanceCounter(0) - before;
    }

    // The call-context counter (type 1) keeps counting across the await; the execution counter
    // (type 0) restarts in the callback.
    @update([IDL.Nat32], ContextCounts)
    async counts_across_await(n: number): Promise<{ execution: bigint; call_context: bigint }> {
        work(n);
        await call('aaaaa-aa', 'raw_rand', { returnIdlType: IDL.Vec(IDL.Nat8) });
        return { execution: performanceCounter(0), call_context: performanceCounter(1) };
    }

    @update([], IDL.Nat64)
    spin(): bigint {
        this.counter += 1n;
        stable.insert(KEY_VALUE, storedValue(KEY_VALUE) + 1n);
        let i = 0n;
        while (i >= 0n) {
            i += 1n;
        }
        return i;
    }

    @query([], IDL.Nat64)
    spin_query(): bigint {
        let i = 0n;
        while (i >= 0n) {
            i += 1n;
        }
        return i;
    }

    @update([IDL.Vec(IDL.Nat8)], IDL.Nat64)
    arg_len(bytes: Uint8Array): bigint {
        return BigInt(bytes.length);
    }

    @update([IDL.Nat32], IDL.Vec(IDL.Nat8), { manual: true })
    big_reply(): void {
        msgReply(blobReply(nat32Arg()));
    }

    @query([IDL.Nat32], IDL.Vec(IDL.Nat8), { manual: true })
    big_reply_query(): void {
        msgReply(blobReply(nat32Arg()));
    }

    // ---- randomness ----

    @update([], IDL.Vec(IDL.Nat8))
    async random(): Promise<Uint8Array> {
        return await call<undefined, Uint8Array>('aaaaa-aa', 'raw_rand', {
            returnIdlType: IDL.Vec(IDL.Nat8)
        });
    }

    @update([], IDL.Vec(IDL.Nat8))
    random_values(): Uint8Array {
        return crypto.getRandomValues(new Uint8Array(16));
    }

    // ---- inter-canister calls ----

    @update([IDL.Principal, IDL.Text, IDL.Vec(IDL.Nat8)], RawCallResult)
    async call_raw(target: Principal, method: string, arg: Uint8Array): Promise<RawCallResult> {
        try {
            const reply = await call<Uint8Array, Uint8Array>(target, method, {
                raw: true,
                args: new Uint8Array(arg)
            });
            return { Ok: reply };
        } catch (error) {
            return rejectOf(error);
        }
    }

    // The write before the await commits with the first execution; the trap in the callback
    // rolls back only the callback's own changes.
    @update([IDL.Principal, IDL.Nat64], State)
    async write_call_then_trap(target: Principal, v: bigint): Promise<State> {
        this.counter = v;
        stable.insert(KEY_VALUE, v);
        await call(target, 'whoami', { returnIdlType: IDL.Principal });
        this.counter = v + 1n;
        stable.insert(KEY_VALUE, v + 1n);
        trap(`trap after await (${v})`);
    }

    @update([], Accepted)
    accept_half(): Accepted {
        const available = msgCyclesAvailable();
        return { available, accepted: msgCyclesAccept(available / 2n) };
    }

    @update([IDL.Principal, IDL.Nat], CyclesTransfer)
    async send_cycles(
        target: Principal,
        amount: bigint
    ): Promise<{ available: bigint; accepted: bigint; refunded: bigint }> {
        const reply = await call<undefined, Accepted>(target, 'accept_half', {
            cycles: amount,
            returnIdlType: Accepted
        });
        return { ...reply, refunded: msgCyclesRefunded() };
    }

    private state(): State {
        const stored = stable.get(KEY_VALUE);
        return {
            counter: this.counter,
            stored: stored === undefined ? [] : [stored],
            installs: storedValue(KEY_INSTALLS),
            upgrades: storedValue(KEY_UPGRADES),
            timer_fired: storedValue(KEY_TIMER_FIRED)
        };
    }
}
