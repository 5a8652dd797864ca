import { MessageChannel } from 'node:worker_threads';
import { decodeBatch, encodeBatch, transferables, type EncodedBatch } from '../src/journal-batch-codec';
import { connectionRow, shareRow } from './journal-fixtures';

describe('the batch encoding the SQLite thread receives', () => {
  it('gives back every row as given: nulls, zero, empty and non-ASCII strings, booleans', () => {
    const shares = [
      shareRow(),
      shareRow({ worker: null, jobId: null, reason: null, audit: null, shareDifficulty: null, latencyMs: null, result: 'lost' }),
      shareRow({ worker: '', pool: 'ünïcødé', jobId: '😀\u0000x', result: 'rejected', reason: 'stale', blockCandidate: true, latencyMs: 0, shareDifficulty: 0 }),
      // A lone surrogate is not valid UTF-16, but it is what a JavaScript string may hold: kept as is.
      shareRow({ worker: 'a\ud800b', remoteAddress: '::ffff:10.0.0.1', time: 2 ** 53 - 1, difficulty: 1e-9 }),
    ];
    const connections = [connectionRow(), connectionRow({ worker: null, closeReason: '', bytesSent: 2 ** 40 })];
    expect(decodeBatch(encodeBatch({ shares, connections }))).toEqual({ shares, connections });
  });

  it('encodes an empty batch and a batch of one table', () => {
    expect(decodeBatch(encodeBatch({ shares: [], connections: [] }))).toEqual({ shares: [], connections: [] });
    const connections = [connectionRow({ connectionId: 1 }), connectionRow({ connectionId: 2 })];
    expect(decodeBatch(encodeBatch({ shares: [], connections }))).toEqual({ shares: [], connections });
  });

  it('crosses a message port with its numbers moved, not copied', async () => {
    const batch = { shares: [shareRow(), shareRow({ worker: 'b' })], connections: [connectionRow()] };
    const encoded = encodeBatch(batch);
    const { port1, port2 } = new MessageChannel();
    try {
      const received = new Promise<EncodedBatch>((resolve) => port2.once('message', resolve));
      port1.postMessage(encoded, transferables(encoded));
      const decoded = decodeBatch(await received);
      expect(encoded.shares.numbers.byteLength).toBe(0);
      expect(encoded.connections.lengths.byteLength).toBe(0);
      expect(decoded).toEqual(batch);
    } finally {
      port1.close();
    }
  });
});
