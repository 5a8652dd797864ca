import { createServer, type AddressInfo } from 'node:net';

/**
 * A port that was free a moment ago: listen on 0, read the port, close. Programs that take a
 * port number (and do not report an OS-chosen one) need this; another process may grab the port
 * in between, so callers retry their start on "address in use".
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
