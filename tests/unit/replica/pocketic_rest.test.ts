// The PocketIC REST server's handling of malformed requests and bigint-safe JSON, driven over HTTP
// in-process (the process contract is in pocketic_process.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PocketIcRestServer } from '../../../src/replica/pocketic/server.js';
import { GENESIS_NS } from '../../../src/replica/state_machine.js';

let server: PocketIcRestServer;
let url: string;

beforeAll(async () => {
  server = new PocketIcRestServer();
  url = `http://127.0.0.1:${await server.listen()}`;
});
afterAll(() => server.close());

async function post(path: string, body: string) {
  const res = await fetch(url + path, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, text: await res.text() };
}

describe('malformed requests', () => {
  it('answers a non-JSON body with 400 and a JSON message, then keeps serving', async () => {
    const bad = await post('/instances', '{not json');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).message).toMatch(/malformed JSON body/);
    const good = await post('/instances', '{}');
    expect(good.status).toBe(201);
    expect(JSON.parse(good.text).Created.instance_id).toBeTypeOf('number');
  });

  it('answers missing or mistyped fields with 400 naming the field', async () => {
    const { Created } = JSON.parse((await post('/instances', '{}')).text);
    const base = `/instances/${Created.instance_id}`;
    const missing = await post(`${base}/update/submit_ingress_message`, JSON.stringify({ sender: 'BA==', method: 'x' }));
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.text).message).toBe("missing field 'canister_id'");
    const mistyped = await post(`${base}/update/set_time`, JSON.stringify({ nanos_since_epoch: 'soon' }));
    expect(mistyped.status).toBe(400);
    expect(JSON.parse(mistyped.text).message).toBe("field 'nanos_since_epoch' must be an integer");
    const notObject = await post(`${base}/read/query`, '5');
    expect(notObject.status).toBe(400);
  });

  it('answers unknown routes and instances with 404 and a JSON message', async () => {
    const route = await post('/instances/0/update/no_such_thing', '{}');
    expect(route.status).toBe(404);
    expect(JSON.parse(route.text).message).toMatch(/not implemented/);
    const instance = await post('/instances/999/update/tick', '{}');
    expect(instance.status).toBe(404);
    expect(JSON.parse(instance.text).message).toMatch(/Instance not found/);
  });

  it('refuses ingress to a canister that does not exist with an Err, not a crash', async () => {
    const { Created } = JSON.parse((await post('/instances', '{}')).text);
    const res = await post(
      `/instances/${Created.instance_id}/update/submit_ingress_message`,
      JSON.stringify({ sender: 'BA==', canister_id: '///////gAAABAQ==', method: 'm', payload: '', effective_principal: 'None' })
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).Err).toMatchObject({ reject_code: 3, error_code: 301 });
  });
});

describe('time', () => {
  it('keeps u64 nanoseconds exact through JSON and refuses going back', async () => {
    const { Created } = JSON.parse((await post('/instances', '{}')).text);
    const base = `/instances/${Created.instance_id}`;
    const start = await (await fetch(`${url}${base}/read/get_time`)).text();
    expect(start).toBe(`{"nanos_since_epoch":${GENESIS_NS}}`);
    expect((await post(`${base}/update/set_time`, '{"nanos_since_epoch":1735689600000000001}')).status).toBe(200);
    expect(await (await fetch(`${url}${base}/read/get_time`)).text()).toBe('{"nanos_since_epoch":1735689600000000001}');
    const past = await post(`${base}/update/set_time`, '{"nanos_since_epoch":1735689600000000000}');
    expect(past.status).toBe(400);
    expect(JSON.parse(past.text).message).toBe('SettingTimeIntoPast((1735689600000000001, 1735689600000000000))');
  });
});
