import { createHash } from 'node:crypto';
import * as net from 'node:net';
import type { ProxyServer } from '../src/proxy-server';
import { HashCapture } from './helpers/byte-capture';
import { Cleanup } from './helpers/cleanup';
import { closeServer } from './helpers/pool-server';
import { seededBytes } from './helpers/prng';
import { startProxy } from './helpers/proxy';
import { waitUntil } from './helpers/wait';

/**
 * A peer that stops reading must stop the proxy reading from the other side: what the proxy
 * holds for the connection stays bounded whatever the sender pushes, and nothing is lost once
 * the reader comes back. Received bytes are counted and hashed, never kept.
 */
const MiB = 1024 * 1024;
/** Stated bound on what the proxy may hold for one stalled direction (socket buffers + one chunk). */
const MAX_PROXY_BUFFERED = 1 * MiB;
/** Stated bound on process memory growth while stalled (the sender may push hundreds of MB). */
const MAX_MEMORY_GROWTH = 64 * MiB;

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A raw loopback pool whose accepted sockets are hashed, not captured. */
async function rawPool(): Promise<{ port: number; socket: () => Promise<net.Socket> }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    sockets.push(socket);
  });
  cleanup.add(() => closeServer(server, sockets));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    socket: async () => {
      await waitUntil(() => sockets.length > 0, 'the upstream connection');
      return sockets[0] as net.Socket;
    },
  };
}

async function rawMiner(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  socket.on('error', () => {});
  cleanup.add(() => socket.destroy());
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return socket;
}

/** Streams `total` bytes from 16 reused seeded blocks, honouring backpressure, hashing what it wrote. */
class Sender {
  sent = 0;
  waitingForDrain = false;
  readonly done: Promise<string>;

  constructor(socket: net.Socket, total: number) {
    const blocks = Array.from({ length: 16 }, (_, i) => seededBytes(1000 + i, 64 * 1024 - i * 997));
    const hash = createHash('sha256');
    this.done = (async () => {
      let i = 0;
      while (this.sent < total) {
        const block = blocks[i++ % blocks.length] as Buffer;
        const chunk = total - this.sent < block.length ? block.subarray(0, total - this.sent) : block;
        hash.update(chunk);
        this.sent += chunk.length;
        if (!socket.write(chunk)) {
          this.waitingForDrain = true;
          await new Promise<void>((resolve) => socket.once('drain', resolve));
          this.waitingForDrain = false;
        }
      }
      socket.end();
      return hash.digest('hex');
    })();
  }
}

function memory(): number {
  const m = process.memoryUsage();
  return Math.max(m.rss, m.heapUsed + m.arrayBuffers);
}

async function stallThenResume(options: {
  proxy: ProxyServer;
  sender: net.Socket;
  receiver: net.Socket;
  total: number;
  buffered: () => number;
}): Promise<void> {
  const { proxy, sender, receiver, total } = options;
  const received = new HashCapture(receiver);
  const baseline = memory();
  const writer = new Sender(sender, total);

  // Some data flows, then the reader stops reading.
  await waitUntil(() => received.length >= 4 * MiB, 'the first MiBs to flow');
  receiver.pause();

  // The proxy stops reading too: the sender's writes stall and stay stalled. Kernel buffers
  // (autotuned on loopback, several MB) fill first, so wait for a quiet half second.
  let last = -1;
  let quietSince = Date.now();
  await waitUntil(() => {
    if (writer.sent >= total) throw new Error('the sender never stalled: the proxy kept reading');
    if (writer.sent !== last || !writer.waitingForDrain) {
      last = writer.sent;
      quietSince = Date.now();
      return false;
    }
    return Date.now() - quietSince >= 500;
  }, 'the sender to stall', 30_000);
  expect(writer.waitingForDrain).toBe(true);
  expect(writer.sent).toBeLessThan(total);
  expect(sender.writableLength).toBeGreaterThan(0);
  expect(proxy.connectionCount).toBe(1);
  const held = options.buffered();
  expect(held).toBeLessThan(MAX_PROXY_BUFFERED);
  expect(memory() - baseline).toBeLessThan(MAX_MEMORY_GROWTH);

  // The reader comes back: every byte arrives, in order (same count and hash).
  receiver.resume();
  const sentDigest = await writer.done;
  await waitUntil(() => received.ended, 'the FIN after the last byte', 60_000);
  expect(received.length).toBe(total);
  expect(received.digest()).toBe(sentDigest);
}

describe('backpressure', () => {
  // One case per direction: the side that stops reading, and the side whose reading must stop.
  it.each([
    { from: 'miner', to: 'pool', mb: 200, buffered: 'bufferedToPool', bytes: 'bytesMinerToPool' },
    { from: 'pool', to: 'miner', mb: 64, buffered: 'bufferedToMiner', bytes: 'bytesPoolToMiner' },
  ] as const)('stops reading from the $from while the $to does not read, holds under 1 MiB, then delivers all $mb MB', async ({ from, mb, buffered, bytes }) => {
    const pool = await rawPool();
    const { proxy, port, recorder } = await startProxy(cleanup, pool.port);
    const miner = await rawMiner(port);
    const upstream = await pool.socket();
    const [sender, receiver] = from === 'miner' ? [miner, upstream] : [upstream, miner];
    await stallThenResume({
      proxy,
      sender,
      receiver,
      total: mb * MiB,
      buffered: () => proxy.connections()[0]?.[buffered] ?? Infinity,
    });
    receiver.end();
    await waitUntil(() => recorder.closed().length === 1, 'connection.closed', 30_000);
    expect(recorder.closed()[0]).toMatchObject({ reason: 'end', side: from, [bytes]: mb * MiB });
  });
});
