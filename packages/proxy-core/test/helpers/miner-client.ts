import * as net from 'node:net';
import { ByteCapture } from './byte-capture';
import type { Cleanup } from './cleanup';

/** A loopback "miner": half-open capable, capturing what the proxy sends it. */
export async function connectMiner(
  cleanup: Cleanup,
  port: number,
): Promise<{ socket: net.Socket; capture: ByteCapture }> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const capture = new ByteCapture(socket);
  cleanup.add(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, capture };
}

/** Writes `data` in slices, waiting for 'drain' when the socket asks to. */
export async function writeAll(socket: net.Socket, data: Buffer, sliceBytes = 64 * 1024): Promise<void> {
  for (let offset = 0; offset < data.length; offset += sliceBytes) {
    if (!socket.write(data.subarray(offset, offset + sliceBytes))) {
      await new Promise<void>((resolve) => socket.once('drain', resolve));
    }
  }
}
