import { request } from 'node:http';
import { HttpError } from './errors';

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * One GET (or other method) over a fresh connection (`agent: false`, `Connection: close`), so a
 * test leaves no keep-alive socket behind. Bounded by `timeoutMs`; network errors reject with
 * HttpError (SRL_ERR_IT_HTTP). Any status resolves: callers decide what they expect.
 */
export function httpRequest(port: number, path: string, opts: { host?: string; method?: string; timeoutMs?: number } = {}): Promise<HttpResponse> {
  const host = opts.host ?? '127.0.0.1';
  const timeoutMs = opts.timeoutMs ?? 5_000;
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: opts.method ?? 'GET', agent: false, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => reject(new HttpError(`${host}:${port}${path}: ${err.message}`, { cause: err })));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new HttpError(`${opts.method ?? 'GET'} http://${host}:${port}${path}: ${err.message}`, { cause: err })));
    req.end();
  });
}

/** GET a JSON document; rejects with HttpError unless the status is 2xx. */
export async function getJson<T>(port: number, path: string, opts: { host?: string; timeoutMs?: number } = {}): Promise<T> {
  const res = await httpRequest(port, path, opts);
  if (res.status < 200 || res.status > 299) throw new HttpError(`GET ${path} on port ${port} answered ${res.status}: ${res.body.slice(0, 200)}`);
  return JSON.parse(res.body) as T;
}
