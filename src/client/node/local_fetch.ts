// A `fetch` for agent-js (its `HttpAgent` `fetch` option) that sends plain-HTTP requests over
// node:http with kept-alive connections, and anything else through the global fetch. Measured on
// this project's 2-core machines, Node's built-in fetch (undici's WHATWG layer: streams, Headers,
// several promise hops per request) costs ≈ 0.5–0.7 ms of client CPU per request more than
// node:http, about a third of what a small call costs the client besides its certificate check;
// a local network answers hundreds of such calls a second. Remote networks are HTTPS: they keep
// the global fetch, with its proxies, TLS and redirects, and their latency dwarfs the difference.
// A local answer is returned as it comes: a redirect is not followed (the IC interface has none).
import { Agent, request, type IncomingHttpHeaders } from 'node:http';

/** Connections kept open to each local host; more concurrent requests queue for one. */
const MAX_SOCKETS = 64;

/** A request the caller aborted (the name `fetch` gives it, so callers tell it apart alike). */
export class LocalFetchAbortError extends Error {
  override readonly name = 'AbortError';
}

export interface LocalFetch {
  (input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Closes the kept-alive connections (a process that ends need not). */
  close(): void;
}

export function localFetch(): LocalFetch {
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  const fetchLocal = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (input instanceof Request) return fetch(input, init);
    const url = input instanceof URL ? input : new URL(input);
    if (url.protocol !== 'http:') return fetch(url, init);
    const body = await requestBody(init?.body);
    if (body === undefined && init?.body != null) return fetch(url, init); // a stream or form: leave it to fetch
    return send(agent, url, init, body);
  }) as LocalFetch;
  fetchLocal.close = () => agent.destroy();
  return fetchLocal;
}

async function requestBody(body: RequestInit['body']): Promise<Uint8Array | undefined> {
  if (body == null) return undefined;
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Blob) return new Uint8Array(await body.arrayBuffer());
  return undefined;
}

function send(agent: Agent, url: URL, init: RequestInit | undefined, body: Uint8Array | undefined): Promise<Response> {
  const signal = init?.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(new LocalFetchAbortError('The operation was aborted.'));
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
  if (body !== undefined) headers['content-length'] = String(body.length);
  if (typeof init?.body === 'string') headers['content-type'] ??= 'text/plain;charset=UTF-8'; // as fetch sets it
  return new Promise<Response>((resolve, reject) => {
    const req = request(url, { method: init?.method ?? 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        try {
          const status = res.statusCode ?? 0;
          // A null-body status (204, 304) may not be given a body, even an empty one; a status
          // outside 200–599 makes the constructor throw, and the request fails as fetch's would.
          const bytes = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          const response = new Response(bytes, { status, statusText: res.statusMessage ?? '', headers: responseHeaders(res.headers) });
          // `url` is read-only on a constructed Response; agent-js reads it (v4 → v2 fallback on 404).
          Object.defineProperty(response, 'url', { value: url.href });
          resolve(response);
        } catch (error) {
          reject(error);
        }
      });
    });
    const abort = () => req.destroy(new LocalFetchAbortError('The operation was aborted.'));
    signal?.addEventListener('abort', abort, { once: true });
    req.on('error', (error) => reject(error));
    req.on('close', () => signal?.removeEventListener('abort', abort));
    req.end(body);
  });
}

function responseHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}
