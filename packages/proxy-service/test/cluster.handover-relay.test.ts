/**
 * The primary's part of a handover, on real sockets but without processes: what it forwards to
 * the successor, which copies it closes, and what it tells the retiring worker in each case —
 * `returned` only while the successor cannot have both sockets, `lost` once it may.
 */
import * as net from 'node:net';
import type { ConnectionExport } from '@stratum-relay/proxy-core';
import { HandoverRelay, type RelayPeers } from '../src/cluster/handover-relay';
import { CLUSTER_PROTOCOL, isPrimaryMessage, isWorkerMessage, type HandoverMessage, type PrimaryMessage } from '../src/cluster/messages';
import { memoryLogger } from './helpers/cluster-fakes';

const FROM = 1;
const TO = 3;
const HANDOVER = 7;

interface Sent {
  readonly workerId: number;
  readonly message: PrimaryMessage;
  readonly handle: net.Socket | undefined;
  readonly callback: ((error: Error | null) => void) | undefined;
}

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** An accepted socket (what a received handle is: a net.Socket on a descriptor) and its peer. */
async function socketPair(): Promise<{ accepted: net.Socket; peer: net.Socket }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const peer = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  peer.on('error', () => undefined);
  const socket = await accepted;
  server.close();
  closers.push(() => {
    socket.destroy();
    peer.destroy();
  });
  return { accepted: socket, peer };
}

function relay(options: { alive?: () => boolean; replyTimeoutMs?: number } = {}) {
  const sent: Sent[] = [];
  const peers: RelayPeers = {
    send: (workerId, message, handle, callback) => {
      if (workerId === TO && options.alive?.() === false) return false;
      sent.push({ workerId, message, handle, callback });
      return true;
    },
  };
  const { logger, lines } = memoryLogger();
  const r = new HandoverRelay({ peers, logger, ...(options.replyTimeoutMs !== undefined ? { replyTimeoutMs: options.replyTimeoutMs } : {}) });
  r.begin(HANDOVER, FROM, TO);
  return { relay: r, sent, lines, outcomes: () => sent.filter((s) => s.message.type === 'handover-outcome').map((s) => s.message) };
}

const STATE = { connectionId: 5 } as unknown as ConnectionExport;
const minerPart = (connectionId = 5): HandoverMessage => ({ v: CLUSTER_PROTOCOL, type: 'handover', handoverId: HANDOVER, connectionId, part: 'miner', state: STATE, collector: null });
const poolPart = (connectionId = 5): HandoverMessage => ({ v: CLUSTER_PROTOCOL, type: 'handover', handoverId: HANDOVER, connectionId, part: 'pool' });

async function parts(): Promise<{ miner: net.Socket; pool: net.Socket }> {
  return { miner: (await socketPair()).accepted, pool: (await socketPair()).accepted };
}

describe('HandoverRelay', () => {
  it('forwards both sockets to the successor, closes its copies once written, and reports `adopted` when the successor says so', async () => {
    const t = relay();
    const { miner, pool } = await parts();
    t.relay.onHandover(FROM, minerPart(), miner);
    t.relay.onHandover(FROM, poolPart(), pool);
    expect(t.sent.map((s) => [s.workerId, s.message.type, (s.message as { part?: string }).part, s.handle])).toEqual([
      [TO, 'adopt', 'miner', miner],
      [TO, 'adopt', 'pool', pool],
    ]);
    expect(t.sent[0]!.message).toMatchObject({ handoverId: HANDOVER, connectionId: 5, state: STATE, collector: null });
    // Not written yet: the copies stay open here.
    expect(miner.destroyed || pool.destroyed).toBe(false);
    for (const s of t.sent) s.callback?.(null);
    expect(miner.destroyed && pool.destroyed).toBe(true);
    expect(t.outcomes()).toEqual([]);
    t.relay.onAdoptResult(TO, { v: CLUSTER_PROTOCOL, type: 'adopt-result', handoverId: HANDOVER, connectionId: 5, result: 'adopted', error: null, pausedMs: 3 });
    expect(t.outcomes()).toEqual([{ v: 1, type: 'handover-outcome', handoverId: HANDOVER, connectionId: 5, outcome: 'adopted', reason: 'adopted' }]);
    expect(t.sent.at(-1)!.workerId).toBe(FROM);
    expect(t.relay.inTransit).toBe(0);
  });

  it('sends a connection the successor refused untouched back (`returned`)', async () => {
    const t = relay();
    const { miner, pool } = await parts();
    t.relay.onHandover(FROM, minerPart(), miner);
    t.relay.onHandover(FROM, poolPart(), pool);
    for (const s of t.sent) s.callback?.(null);
    t.relay.onAdoptResult(TO, { v: CLUSTER_PROTOCOL, type: 'adopt-result', handoverId: HANDOVER, connectionId: 5, result: 'refused', error: 'SRL_ERR_HANDOVER_ID', pausedMs: null });
    expect(t.outcomes()).toEqual([expect.objectContaining({ outcome: 'returned', reason: 'SRL_ERR_HANDOVER_ID' })]);
  });

  it('returns a connection whose pool socket was not written when the successor dies, and closes every copy it still held', async () => {
    const t = relay();
    const { miner, pool } = await parts();
    t.relay.onHandover(FROM, minerPart(), miner);
    t.relay.onHandover(FROM, poolPart(), pool);
    // Only the miner socket was written; the pool socket waits in the dead channel's queue.
    t.sent[0]!.callback?.(null);
    t.relay.workerGone(TO);
    expect(t.outcomes()).toEqual([expect.objectContaining({ connectionId: 5, outcome: 'returned', reason: 'successor_gone' })]);
    expect(miner.destroyed && pool.destroyed).toBe(true);
    // A late write callback or answer changes nothing.
    t.sent[1]!.callback?.(null);
    t.relay.onAdoptResult(TO, { v: CLUSTER_PROTOCOL, type: 'adopt-result', handoverId: HANDOVER, connectionId: 5, result: 'adopted', error: null, pausedMs: 1 });
    expect(t.outcomes()).toHaveLength(1);
  });

  it('reports `lost` when the successor dies after both sockets were written but before it answered', async () => {
    const t = relay();
    const { miner, pool } = await parts();
    t.relay.onHandover(FROM, minerPart(), miner);
    t.relay.onHandover(FROM, poolPart(), pool);
    for (const s of t.sent) s.callback?.(null);
    t.relay.workerGone(TO);
    expect(t.outcomes()).toEqual([expect.objectContaining({ outcome: 'lost', reason: 'successor_gone' })]);
  });

  it('reports `lost` when the successor stays silent after both sockets were written', async () => {
    const t = relay({ replyTimeoutMs: 20 });
    const { miner, pool } = await parts();
    t.relay.onHandover(FROM, minerPart(), miner);
    t.relay.onHandover(FROM, poolPart(), pool);
    for (const s of t.sent) s.callback?.(null);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(t.outcomes()).toEqual([expect.objectContaining({ outcome: 'lost', reason: 'timeout' })]);
  });

  it('returns at once what arrives after the successor died, closing both sockets as they come', async () => {
    const t = relay();
    t.relay.workerGone(TO);
    const { miner, pool } = await parts();
    t.relay.onHandover(FROM, minerPart(), miner);
    expect(t.outcomes()).toEqual([expect.objectContaining({ outcome: 'returned', reason: 'successor_gone' })]);
    expect(miner.destroyed).toBe(true);
    expect(t.relay.inTransit).toBe(1);
    t.relay.onHandover(FROM, poolPart(), pool);
    expect(pool.destroyed).toBe(true);
    expect(t.relay.inTransit).toBe(0);
    expect(t.sent.filter((s) => s.message.type === 'adopt')).toEqual([]);
  });

  it('returns a connection whose pool socket could not be written (a send error)', async () => {
    const t = relay();
    const { miner, pool } = await parts();
    t.relay.onHandover(FROM, minerPart(), miner);
    t.relay.onHandover(FROM, poolPart(), pool);
    t.sent[0]!.callback?.(null);
    t.sent[1]!.callback?.(new Error('EPIPE'));
    expect(t.outcomes()).toEqual([expect.objectContaining({ outcome: 'returned', reason: 'send_failed' })]);
    expect(pool.destroyed).toBe(true);
  });

  it('never passes on a socket it has read bytes from: the connection is `lost`', async () => {
    const t = relay();
    const { accepted, peer } = await socketPair();
    peer.write('{"id":9,"method":"mining.submit"}\n');
    // A socket Node built for a handle reads into its buffer until someone stops it.
    const deadline = Date.now() + 2_000;
    while (accepted.readableLength === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    t.relay.onHandover(FROM, minerPart(), accepted);
    expect(t.outcomes()).toEqual([expect.objectContaining({ outcome: 'lost', reason: 'read_in_primary' })]);
    expect(t.sent.filter((s) => s.message.type === 'adopt')).toEqual([]);
    expect(accepted.destroyed).toBe(true);
  });

  it('closes a socket of a handover it does not run, and one from the wrong worker', async () => {
    const t = relay();
    const a = (await socketPair()).accepted;
    t.relay.onHandover(FROM, { ...minerPart(), handoverId: 99 }, a);
    const b = (await socketPair()).accepted;
    t.relay.onHandover(2, minerPart(), b);
    expect(a.destroyed && b.destroyed).toBe(true);
    expect(t.sent).toEqual([]);
  });

  it('resolves whenDone with the summary, or with null when the retiring worker leaves without one', async () => {
    const t = relay();
    const summary = { adopted: 3, returned: 0, lost: 0, kept: 1, keptByReason: { tls_miner: 1 }, closed: 0, durationMs: 12 };
    const done = t.relay.whenDone(HANDOVER);
    t.relay.onDone(FROM, HANDOVER, summary);
    expect(await done).toEqual(summary);
    expect(t.lines.find((l) => l.msg === 'handover finished: the retiring worker drains what it kept')).toMatchObject({ adopted: 3, kept: 1, from_worker: FROM, to_worker: TO });

    t.relay.begin(8, 2, 4);
    const gone = t.relay.whenDone(8);
    t.relay.workerGone(2);
    expect(await gone).toBeNull();
  });
});

describe('handover messages', () => {
  it('accepts the handover messages of this protocol version and refuses malformed ones', () => {
    expect(isWorkerMessage(minerPart())).toBe(true);
    expect(isWorkerMessage(poolPart())).toBe(true);
    expect(isWorkerMessage({ ...minerPart(), state: null })).toBe(false);
    expect(isWorkerMessage({ ...poolPart(), part: 'both' })).toBe(false);
    expect(isWorkerMessage({ v: 1, type: 'adopt-result', handoverId: 1, connectionId: 2, result: 'adopted', error: null, pausedMs: 1.5 })).toBe(true);
    expect(isWorkerMessage({ v: 1, type: 'adopt-result', handoverId: 1, connectionId: 2, result: 'maybe', error: null, pausedMs: null })).toBe(false);
    expect(isWorkerMessage({ v: 1, type: 'handover-done', handoverId: 1, summary: {} })).toBe(true);
    expect(isPrimaryMessage({ v: 1, type: 'adopt', handoverId: 1, connectionId: 2, part: 'pool' })).toBe(true);
    expect(isPrimaryMessage({ v: 1, type: 'handover-outcome', handoverId: 1, connectionId: 2, outcome: 'returned', reason: 'successor_gone' })).toBe(true);
    expect(isPrimaryMessage({ v: 1, type: 'handover-outcome', handoverId: 1, connectionId: 2, outcome: 'kept', reason: 'x' })).toBe(false);
    expect(isPrimaryMessage({ v: 1, type: 'retire', mode: 'upgrade', handover: { handoverId: 1, successor: 4 } })).toBe(true);
    // A plan only goes with an upgrade; a primary that predates the handover sends none.
    expect(isPrimaryMessage({ v: 1, type: 'retire', mode: 'drain', handover: { handoverId: 1, successor: 4 } })).toBe(false);
    expect(isPrimaryMessage({ v: 1, type: 'retire', mode: 'upgrade' })).toBe(true);
  });
});
