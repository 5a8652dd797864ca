import { createServer } from 'node:net';

/**
 * A port that was free a moment ago on 127.0.0.1, for programs that cannot report the port
 * they bound (a child `prometheus`). Racy in theory; the OS does not hand the same ephemeral
 * port out again right away.
 */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolvePort(port) : reject(new Error('no port assigned'))));
    });
  });
}
