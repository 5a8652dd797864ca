import { deriveSeed, mulberry32, testSeed, withSeed, type Prng } from '@stratum-relay/prng';
import { LineSplitter, type LineSink, type LineSplitterState } from '@stratum-relay/stratum-wire';
import { decodeLineState, decodeRewriteState, encodeLineState, encodeRewriteState } from '../src/handover/connection-export';
import { AccountRewriter } from '../src/upstream/account-rewrite';
import { generateLine } from './helpers/account-lines';
import { seededBytes } from './helpers/prng';

/**
 * The unfinished line of an observer and of the account rewrite moves to a fresh instance (in
 * another process, through JSON): continuing there must give exactly what one instance would
 * have given. Replay with SRL_HANDOVER_SEED=<seed>.
 */
const SEED = testSeed('SRL_HANDOVER_SEED');

type Cut = string;

function recorder(): LineSink & { cuts: Cut[] } {
  const cuts: Cut[] = [];
  return {
    cuts,
    onLine(buf, start, end) {
      cuts.push(`line:${buf.toString('latin1', start, end)}`);
    },
    onOversized(bytes) {
      cuts.push(`oversized:${bytes}`);
    },
  };
}

/** Lines of 0 to ~3 × `limit` bytes (some oversized), LF or CRLF, with a `\r` now and then inside. */
function stream(rand: Prng, limit: number, lines: number, seed: number): Buffer {
  const noise = seededBytes(seed, lines * limit * 3).toString('base64').replace(/[\r\n]/g, '');
  const parts: string[] = [];
  let at = 0;
  for (let i = 0; i < lines; i++) {
    const n = Math.floor(rand() * rand() * limit * 3);
    const text = noise.slice(at, at + n);
    at += n;
    parts.push(rand() < 0.1 ? `${text}\r${text.slice(0, 3)}` : text, rand() < 0.4 ? '\r\n' : '\n');
  }
  return Buffer.from(parts.join(''), 'latin1');
}

function chunks(rand: Prng, input: Buffer, maxChunk: number): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos < input.length; ) {
    const n = 1 + Math.floor(rand() * maxChunk);
    out.push(input.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

/** Through JSON, as in a ConnectionExport. */
const travelled = (state: LineSplitterState): LineSplitterState => decodeLineState(JSON.parse(JSON.stringify(encodeLineState(state))) as ReturnType<typeof encodeLineState>);

describe('LineSplitter state across a handover', () => {
  describe.each([
    { limit: 64, maxChunk: 7 },
    { limit: 64, maxChunk: 200 },
    { limit: 1024, maxChunk: 3000 },
  ])('cap $limit, chunks up to $maxChunk bytes', ({ limit, maxChunk }) => {
    it('continues in a fresh splitter after every chunk exactly as one splitter would', () => {
      const seed = deriveSeed(SEED, limit * 7 + maxChunk);
      withSeed(
        seed,
        () => {
          const rand = mulberry32(seed);
          const input = stream(rand, limit, 300, seed);
          const parts = chunks(rand, input, maxChunk);
          const whole = recorder();
          const one = new LineSplitter(limit, whole);
          for (const c of parts) one.push(c);
          one.end();

          const moved = recorder();
          let splitter = new LineSplitter(limit, moved);
          let skippingSeen = false;
          let heldSeen = false;
          for (const c of parts) {
            splitter.push(c);
            const state = travelled(splitter.exportState());
            skippingSeen ||= state.skipping;
            heldSeen ||= state.held.length > 0;
            splitter = new LineSplitter(limit, moved);
            splitter.importState(state);
          }
          splitter.end();
          expect(moved.cuts).toEqual(whole.cuts);
          expect(skippingSeen && heldSeen).toBe(true); // both kinds of state really travelled
        },
        'SRL_HANDOVER_SEED',
      );
    });
  });

  it('refuses a state it could never have reached, and keeps its own', () => {
    const sink = recorder();
    const splitter = new LineSplitter(8, sink);
    splitter.push(Buffer.from('abc'));
    const impossible: LineSplitterState[] = [
      { held: Buffer.from('123456789'), skipping: false, skipped: 0, skippedLastWasCR: false },
      { held: Buffer.from('ab\ncd'), skipping: false, skipped: 0, skippedLastWasCR: false },
      { held: Buffer.from('ab'), skipping: true, skipped: 20, skippedLastWasCR: false },
      { held: Buffer.alloc(0), skipping: true, skipped: -1, skippedLastWasCR: false },
    ];
    for (const state of impossible) expect(() => splitter.importState(state)).toThrow(RangeError);
    // Eight bytes and a trailing `\r` fit (the `\r` is not part of the line).
    expect(() => new LineSplitter(8, recorder()).importState({ held: Buffer.from('12345678\r'), skipping: false, skipped: 0, skippedLastWasCR: false })).not.toThrow();
    splitter.push(Buffer.from('d\n'));
    expect(sink.cuts).toEqual(['line:abcd']);
  });
});

describe('AccountRewriter state across a handover', () => {
  it('continues in a fresh rewriter at every chunk boundary with the bytes and counts of one rewriter', () => {
    const seed = deriveSeed(SEED, 99);
    withSeed(
      seed,
      () => {
        const rand = mulberry32(seed);
        const options = { account: 'acctB', password: 'pw', maxLineBytes: 256 };
        const lines: Buffer[] = [];
        for (let i = 0; i < 400; i++) {
          // Now and then a line over the cap, which the rewriter passes through while skipping.
          const line = rand() < 0.05 ? Buffer.from(`{"id":${i},"method":"mining.submit","params":["acctA.w","${'ab'.repeat(200)}"]}`) : generateLine(rand, { newlines: false }).line;
          lines.push(line, Buffer.from('\n'));
        }
        const parts = chunks(rand, Buffer.concat(lines), 120);

        const one = new AccountRewriter(options);
        const expected = Buffer.concat([...parts.flatMap((c) => one.push(c)), ...one.end()]);

        const out: Buffer[] = [];
        let rewriter = new AccountRewriter(options);
        const stats = { rewritten: 0, unsafe: 0 };
        let heldSeen = false;
        let skippingSeen = false;
        for (const c of parts) {
          out.push(...rewriter.push(c));
          const state = decodeRewriteState(JSON.parse(JSON.stringify(encodeRewriteState(rewriter.exportState()))) as ReturnType<typeof encodeRewriteState>);
          heldSeen ||= state.held.length > 0;
          skippingSeen ||= state.skipping;
          stats.rewritten += rewriter.stats.rewritten;
          stats.unsafe += rewriter.stats.unsafe;
          rewriter = new AccountRewriter(options);
          rewriter.importState(state);
        }
        out.push(...rewriter.end());
        stats.rewritten += rewriter.stats.rewritten;
        stats.unsafe += rewriter.stats.unsafe;
        expect(Buffer.concat(out).equals(expected)).toBe(true);
        expect(stats).toEqual(one.stats);
        expect(heldSeen && skippingSeen).toBe(true);
      },
      'SRL_HANDOVER_SEED',
    );
  });
});
