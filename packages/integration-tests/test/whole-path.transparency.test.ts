/**
 * The relay is transparent: what reaches the pool is byte for byte what the miners sent, what
 * reaches the miners is byte for byte what the pool sent, whatever the bytes are, and the byte
 * counters add up to exactly those amounts.
 */
import { MinerFarm } from '@stratum-relay/miner-sim';
import { PoolSim, type SessionCapture } from '@stratum-relay/pool-sim';
import {
  RawMiner,
  bytesDiff,
  scrapeMetrics,
  startProxyProcess,
  startTcpTap,
  waitFor,
  type ProxyProcess,
  type TcpTap,
} from '../src';

/** extranonce1 from the mining.subscribe answer among the lines a miner received. */
function extranonce1Of(received: Buffer): string {
  for (const line of received.toString('utf8').split('\n')) {
    try {
      const msg = JSON.parse(line) as { result?: unknown };
      if (Array.isArray(msg.result) && typeof msg.result[1] === 'string') return msg.result[1];
    } catch {
      // not a JSON line
    }
  }
  throw new Error('no mining.subscribe answer among the received lines');
}

describe('whole path: byte transparency', () => {
  let pool: PoolSim;
  let proxy: ProxyProcess | undefined;
  let tap: TcpTap | undefined;
  let farm: MinerFarm | undefined;
  const raws: RawMiner[] = [];

  beforeAll(async () => {
    // A job every 1.5 s so plenty of pool → miner traffic crosses while miners submit.
    pool = new PoolSim({ profile: 'easy', difficulty: 0.000002, seed: 3, captureBytes: true, jobIntervalMs: 1_500 });
    const { port } = await pool.listen();
    proxy = await startProxyProcess({ poolHost: '127.0.0.1', poolPort: port });
    tap = await startTcpTap({ host: '127.0.0.1', port: proxy.proxyPort });
  }, 60_000);

  afterAll(async () => {
    for (const r of raws) r.destroy();
    await farm?.stop();
    await tap?.close();
    await proxy?.stop();
    await pool?.close();
  }, 60_000);

  function captureFor(extranonce1: string): SessionCapture {
    const found = pool.captures().filter((c) => c.extranonce1 === extranonce1);
    expect(found).toHaveLength(1);
    return found[0] as SessionCapture;
  }

  it('relays odd, illegal and huge input from a raw miner byte for byte both ways', async () => {
    const p = proxy as ProxyProcess;
    const raw = await RawMiner.connect(p.proxyPort);
    raws.push(raw);
    // CRLF line endings (some firmware), answered like any request.
    await raw.send('{"id":1,"method":"mining.subscribe","params":["raw/crlf"]}\r\n');
    await raw.waitForResponse(1);
    // Blank lines, a lone CR, text that is not JSON, JSON that is not Stratum.
    await raw.send('\n\n\r\n \t \nthis is not json\n[1,2,3]\n{"id":true}\n');
    // Invalid UTF-8: stray continuation bytes, an overlong encoding, a lone surrogate, 0xff.
    await raw.send(Buffer.from([0x80, 0xbf, 0x0a, 0xc0, 0xaf, 0x0a, 0xed, 0xa0, 0x80, 0x0a, 0xff, 0xfe, 0x0a]));
    // A worker name with invalid UTF-8 inside a valid request.
    await raw.send(Buffer.concat([Buffer.from('{"id":2,"method":"mining.authorize","params":["raw.'), Buffer.from([0xff, 0xc3]), Buffer.from('","x"]}\n')]));
    await raw.waitForResponse(2);
    // A multi-byte character split across two writes (and so, usually, two TCP segments).
    const euro = Buffer.from('{"id":3,"method":"mining.extranonce.subscribe","params":["€"]}\n');
    const cut = euro.indexOf(0xe2) + 1;
    await raw.send(euro.subarray(0, cut));
    await raw.send(euro.subarray(cut));
    await raw.waitForResponse(3);
    // A 1 MiB line (over both the proxy's and the pool's line caps), then one that is JSON.
    await raw.send(Buffer.concat([Buffer.alloc(1024 * 1024, 0x61), Buffer.from('\n')]));
    await raw.send('{"id":4,"method":"mining.suggest_difficulty","params":[0.5]}\n');
    await raw.waitForResponse(4);
    // Bytes without a final newline, then a FIN.
    await raw.send('{"id":5,"method":"mining.submit","params":["raw.x"');
    await raw.end();

    await waitFor(() => pool.captures().every((c) => !c.open || c.extranonce1 !== extranonce1Of(raw.received)), {
      timeoutMs: 20_000,
      what: "the pool to close the raw miner's session",
    });
    const capture = captureFor(extranonce1Of(raw.received));
    expect(bytesDiff(capture.received, raw.sent)).toBeNull();
    expect(bytesDiff(raw.received, capture.sent)).toBeNull();
    expect(raw.sent.length).toBeGreaterThan(1024 * 1024);
    expect(pool.stats().oversizedLines).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('relays miner-sim sessions byte for byte both ways, per session', async () => {
    const t = tap as TcpTap;
    farm = new MinerFarm({
      url: `127.0.0.1:${t.port}`,
      miners: 3,
      user: 'bytes',
      hashrate: 25_000,
      seed: 5,
      shares: 45,
      durationMs: 60_000,
      stopGraceMs: 10_000,
      versionRolling: true,
      // Odd traffic on top of shares: a non-JSON line and a 128 KiB line per miner, plus rejects.
      faults: [
        { mode: 'malformed', count: 1 },
        { mode: 'oversized', count: 1 },
        { mode: 'invalid_nonce', probability: 0.1 },
        { mode: 'duplicate', probability: 0.1 },
      ],
    });
    await farm.start();
    await farm.whenDone();
    const summary = await farm.stop();
    expect(summary.accepted).toBeGreaterThan(0);

    await waitFor(() => t.sessions().every((s) => s.closed) && pool.captures().every((c) => !c.open), {
      timeoutMs: 20_000,
      what: 'every tapped session and pool session to close',
    });
    const sessions = t.sessions();
    expect(sessions).toHaveLength(3);
    for (const s of sessions) {
      const capture = captureFor(extranonce1Of(s.toClient));
      expect({ session: s.id, diff: bytesDiff(capture.received, s.fromClient) }).toEqual({ session: s.id, diff: null });
      expect({ session: s.id, diff: bytesDiff(s.toClient, capture.sent) }).toEqual({ session: s.id, diff: null });
    }
  }, 120_000);

  it('counts exactly the bytes it relayed in stratum_bytes_sent_total and stratum_bytes_received_total', async () => {
    const p = proxy as ProxyProcess;
    await waitFor(async () => (await scrapeMetrics(p.metricsPort)).sum('stratum_active_connections') === 0, {
      timeoutMs: 20_000,
      what: 'the proxy to have no open connection',
    });
    const metrics = await scrapeMetrics(p.metricsPort);
    // The proxy's own health probes are sessions at the pool too (a real mining.subscribe each),
    // never relayed miner bytes: leave them out.
    const all = pool.captures();
    const captures = all.filter((c) => !c.received.toString('latin1').includes('"stratum-relay/'));
    const atPoolReceived = captures.reduce((n, c) => n + c.received.length, 0);
    const atPoolSent = captures.reduce((n, c) => n + c.sent.length, 0);
    expect(captures.length).toBe(4);
    expect(metrics.sum('stratum_bytes_sent_total')).toBe(atPoolReceived);
    expect(metrics.sum('stratum_bytes_received_total')).toBe(atPoolSent);
    // The pool's own byte counts cover every session, probes included.
    const sum = (field: 'received' | 'sent'): number => all.reduce((n, c) => n + c[field].length, 0);
    expect(pool.stats().bytes).toEqual({ received: sum('received'), sent: sum('sent') });
  }, 30_000);
});
