import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFetchAbortError, localFetch } from '../../../src/client/node/local_fetch.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  port: number;
}

describe('localFetch', () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  const fetchLocal = localFetch();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks), port: req.socket.remotePort! });
        if (req.url === '/echo') {
          res.writeHead(200, { 'content-type': 'application/cbor', 'x-twice': ['a', 'b'] }).end(Buffer.concat(chunks));
        } else if (req.url === '/missing') {
          res.writeHead(404, 'Not Found', { 'content-type': 'text/plain' }).end('no such endpoint');
        } else if (req.url === '/empty') {
          res.writeHead(204).end();
        } else if (req.url === '/odd') {
          res.writeHead(99 + 900).end('status 999');
        } else if (req.url === '/slow') {
          setTimeout(() => res.end('late'), 5_000).unref();
        } else {
          res.writeHead(202).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    fetchLocal.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('posts the exact bytes and headers, and answers status, headers, body and url', async () => {
    const body = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
    const response = await fetchLocal(new URL(`${base}/echo`), { method: 'POST', headers: { 'Content-Type': 'application/cbor' }, body });
    const request = seen.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/cbor');
    expect(request.headers['content-length']).toBe('70000');
    expect(new Uint8Array(request.body)).toEqual(body);
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.url).toBe(`${base}/echo`);
    expect(response.headers.get('content-type')).toBe('application/cbor');
    expect(response.headers.get('x-twice')).toBe('a, b');
    // agent-js reads a clone's bytes first, then may read the original.
    expect(new Uint8Array(await response.clone().arrayBuffer())).toEqual(body);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(body);
  });

  it('gives error statuses with their text, and empty answers', async () => {
    const missing = await fetchLocal(`${base}/missing`, { method: 'POST', body: new Uint8Array([1]) });
    expect([missing.status, missing.statusText, missing.ok, await missing.text()]).toEqual([404, 'Not Found', false, 'no such endpoint']);
    expect(missing.url).toContain('/missing');
    const accepted = await fetchLocal(`${base}/call`, { method: 'POST', body: 'text body' });
    expect(accepted.status).toBe(202);
    expect(seen.at(-1)!.body.toString()).toBe('text body');
    expect(seen.at(-1)!.headers['content-type']).toBe('text/plain;charset=UTF-8');
    const empty = await fetchLocal(`${base}/empty`);
    expect([empty.status, empty.body, seen.at(-1)!.method]).toEqual([204, null, 'GET']);
  });

  it('reuses connections for sequential requests', async () => {
    const before = seen.length;
    for (let i = 0; i < 5; i++) await (await fetchLocal(`${base}/echo`, { method: 'POST', body: Uint8Array.of(i) })).arrayBuffer();
    const ports = new Set(seen.slice(before).map((s) => s.port));
    expect(seen.length - before).toBe(5);
    expect(ports.size).toBe(1);
  });

  it('rejects with an AbortError when aborted, before or during the request', async () => {
    const early = new AbortController();
    early.abort();
    await expect(fetchLocal(`${base}/echo`, { signal: early.signal })).rejects.toBeInstanceOf(LocalFetchAbortError);
    const late = new AbortController();
    const pending = fetchLocal(`${base}/slow`, { signal: late.signal });
    setTimeout(() => late.abort(), 50);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalFetchAbortError);
    expect((error as Error).name).toBe('AbortError');
  });

  it('rejects a status a Response cannot carry, without throwing out of the socket handlers', async () => {
    await expect(fetchLocal(`${base}/odd`)).rejects.toBeInstanceOf(RangeError);
  });

  it('rejects when nothing listens, as fetch does', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(fetchLocal(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('leaves other schemes to the global fetch', async () => {
    const response = await fetchLocal('data:text/plain,from%20fetch');
    expect(await response.text()).toBe('from fetch');
  });
});
