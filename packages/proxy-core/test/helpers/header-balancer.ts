import * as net from 'node:net';
import type { Cleanup } from './cleanup';
import { closeServer } from './pool-server';

/**
 * A stand-in for HAProxy in front of the relay: accepts clients on 127.0.0.1:0, connects to the
 * relay from `localAddress`, sends a PROXY header, then pipes both ways. With `coalesce` the header
 * and the client's first chunk (a TLS ClientHello, a Stratum line) leave in one write, so the relay
 * reads them in one chunk as it would from a real balancer.
 */
export async function startHeaderBalancer(
  cleanup: Cleanup,
  targetPort: number,
  header: (client: net.Socket) => Buffer,
  options: { localAddress?: string; coalesce?: boolean } = {},
): Promise<{ port: number }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort, localAddress: options.localAddress ?? '127.0.0.1', allowHalfOpen: true });
    sockets.push(client, upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.setNoDelay(true);
    upstream.once('connect', () => {
      const prefix = header(client);
      const pipeBoth = (): void => {
        client.pipe(upstream);
        upstream.pipe(client);
      };
      if (options.coalesce === true) {
        client.once('data', (first: Buffer) => {
          upstream.write(Buffer.concat([prefix, first]));
          pipeBoth();
        });
        client.resume();
      } else {
        upstream.write(prefix);
        pipeBoth();
      }
    });
  });
  cleanup.add(() => closeServer(server, sockets));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port };
}
