import { deriveSeed, mulberry32, testSeed, withSeed, type Prng } from '@stratum-relay/prng';
import { AccountRewriter, rewriteAccountLine, type AccountRewriteOptions, type AccountRewriteStats } from '../src/upstream/account-rewrite';
import { generateLine, loadCorpus, randomSecret, withAccount } from './helpers/account-lines';

const OPTIONS: AccountRewriteOptions = { account: 'acctB', password: 'secret', maxLineBytes: 4096 };

interface Run {
  out: Buffer;
  stats: AccountRewriteStats;
}

/** The stream through one AccountRewriter, pushed as `chunks`, then ended; checks the hold bound after every push. */
function streamed(options: AccountRewriteOptions, chunks: readonly Buffer[]): Run {
  const rewriter = new AccountRewriter(options);
  const pieces: Buffer[] = [];
  for (const chunk of chunks) {
    pieces.push(...rewriter.push(chunk));
    if (rewriter.bufferedBytes > options.maxLineBytes + 1) throw new Error(`holds ${rewriter.bufferedBytes} bytes, over the cap`);
  }
  pieces.push(...rewriter.end());
  return { out: Buffer.concat(pieces), stats: { ...rewriter.stats } };
}

/** The reference: every `\n`-terminated line through rewriteAccountLine on its own. */
function lineByLine(options: AccountRewriteOptions, input: Buffer): Run {
  const stats = { rewritten: 0, unsafe: 0 };
  const pieces: Buffer[] = [];
  for (let pos = 0; pos < input.length; ) {
    const nl = input.indexOf(0x0a, pos);
    if (nl === -1) throw new Error('reference input must end with a newline');
    pieces.push(rewriteAccountLine(input.subarray(pos, nl), options, stats), Buffer.from('\n'));
    pos = nl + 1;
  }
  return { out: Buffer.concat(pieces), stats };
}

function randomChunks(rand: Prng, input: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let pos = 0; pos < input.length; ) {
    const n = 1 + Math.floor(rand() * (rand() < 0.2 ? 2000 : 90));
    chunks.push(input.subarray(pos, pos + n));
    pos += n;
  }
  return chunks;
}

function generatedStream(rand: Prng, lines: number): Buffer {
  const parts: Buffer[] = [];
  for (let k = 0; k < lines; k++) parts.push(generateLine(rand, { newlines: false }).line, Buffer.from('\n'));
  return Buffer.concat(parts);
}

/** A Buffer of its own (not from Node's shared pool), so views into it can be told from new allocations. */
function ownBuffer(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const own = Buffer.alloc(bytes.length);
  bytes.copy(own);
  return own;
}

function isViewOf(piece: Buffer, chunk: Buffer): boolean {
  return piece.buffer === chunk.buffer && piece.byteOffset >= chunk.byteOffset && piece.byteOffset + piece.length <= chunk.byteOffset + chunk.length;
}

function expectSameRun(got: Run, want: Run, context: string): void {
  if (!got.out.equals(want.out) || got.stats.rewritten !== want.stats.rewritten || got.stats.unsafe !== want.stats.unsafe) {
    expect({ context, out: got.out.toString('utf8'), stats: got.stats }).toEqual({ context, out: want.out.toString('utf8'), stats: want.stats });
  }
}

const AUTHORIZE = '{"id":2,"method":"mining.authorize","params":["farm.rig1","x"]}';
const AUTHORIZE_OUT = '{"id":2,"method":"mining.authorize","params":["acctB.rig1","secret"]}';
const SUBMIT = '{"id":4,"method":"mining.submit","params":["farm.rig1","bf","00000001","504e86ed","b2957c02"]}';
const SUBMIT_OUT = '{"id":4,"method":"mining.submit","params":["acctB.rig1","bf","00000001","504e86ed","b2957c02"]}';
const SUBSCRIBE = '{"id":1,"method":"mining.subscribe","params":["bitaxe/BM1368"]}';

describe('AccountRewriter gives the bytes of line-by-line rewriting however the stream is chunked', () => {
  const seed = testSeed();

  it('for a split at every byte offset of a seeded stream of generated lines', () => {
    withSeed(seed, () => {
      const rand = mulberry32(seed);
      const input = generatedStream(rand, 30);
      const want = lineByLine(OPTIONS, input);
      expect(want.stats.rewritten).toBeGreaterThan(0);
      expectSameRun(streamed(OPTIONS, [input]), want, 'one chunk');
      for (let cut = 1; cut < input.length; cut++) expectSameRun(streamed(OPTIONS, [input.subarray(0, cut), input.subarray(cut)]), want, `cut at ${cut}`);
    });
  });

  it('for splits at every pair of byte offsets of a short stream (CRLF, an unchanged line between two rewritten ones)', () => {
    const input = Buffer.from(`${AUTHORIZE}\r\n${SUBSCRIBE}\n${SUBMIT}\n`, 'utf8');
    const want = lineByLine(OPTIONS, input);
    expect(want.out.toString('utf8')).toBe(`${AUTHORIZE_OUT}\r\n${SUBSCRIBE}\n${SUBMIT_OUT}\n`);
    for (let i = 1; i < input.length; i++) {
      for (let j = i; j < input.length; j++) {
        expectSameRun(streamed(OPTIONS, [input.subarray(0, i), input.subarray(i, j), input.subarray(j)]), want, `cuts at ${i}, ${j}`);
      }
    }
  });

  it('when fed one byte at a time', () => {
    withSeed(seed, () => {
      const input = generatedStream(mulberry32(deriveSeed(seed, 1)), 30);
      const bytes = Array.from({ length: input.length }, (_, i) => input.subarray(i, i + 1));
      expectSameRun(streamed(OPTIONS, bytes), lineByLine(OPTIONS, input), 'one byte at a time');
    });
  });

  it('for seeded random chunkings of seeded streams, with random accounts and passwords', () => {
    withSeed(seed, () => {
      const rand = mulberry32(deriveSeed(seed, 2));
      for (let k = 0; k < 200; k++) {
        const options = { account: randomSecret(rand), password: rand() < 0.5 ? null : randomSecret(rand), maxLineBytes: 4096 };
        const input = generatedStream(rand, 1 + Math.floor(rand() * 40));
        expectSameRun(streamed(options, randomChunks(rand, input)), lineByLine(options, input), `stream ${k}`);
      }
    });
  });

  it('with a small cap: oversized lines pass unchanged, counted once, the same for every chunking', () => {
    withSeed(seed, () => {
      const rand = mulberry32(deriveSeed(seed, 3));
      let oversized = 0;
      for (let k = 0; k < 200; k++) {
        const options = { ...OPTIONS, maxLineBytes: 60 + Math.floor(rand() * 100) };
        const input = generatedStream(rand, 1 + Math.floor(rand() * 30));
        const want = lineByLine(options, input);
        oversized += want.stats.unsafe;
        expectSameRun(streamed(options, [input]), want, `stream ${k}, one chunk`);
        expectSameRun(streamed(options, randomChunks(rand, input)), want, `stream ${k}, random chunks`);
      }
      expect(oversized).toBeGreaterThan(100);
    });
  });
});

describe('AccountRewriter on the hot path', () => {
  it('passes a chunk with nothing to rewrite that ends on a newline as the same Buffer', () => {
    const chunk = Buffer.from(`${SUBSCRIBE}\n{"id":3,"method":"mining.suggest_difficulty","params":[1000]}\r\n`, 'utf8');
    const rewriter = new AccountRewriter(OPTIONS);
    const out = rewriter.push(chunk);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(chunk);
    expect(rewriter.stats).toEqual({ rewritten: 0, unsafe: 0 });
  });

  it('forwards unchanged lines as views of the chunk and allocates only the rewritten line', () => {
    const chunk = ownBuffer(`${SUBSCRIBE}\n${SUBMIT}\n${SUBSCRIBE}\n`);
    const rewriter = new AccountRewriter(OPTIONS);
    const out = rewriter.push(chunk);
    expect(Buffer.concat(out).toString('utf8')).toBe(`${SUBSCRIBE}\n${SUBMIT_OUT}\n${SUBSCRIBE}\n`);
    expect(out.filter((piece) => !isViewOf(piece, chunk)).map((piece) => piece.toString('utf8'))).toEqual([SUBMIT_OUT]);
    expect(rewriter.stats).toEqual({ rewritten: 1, unsafe: 0 });
  });

  it('holds the unfinished tail of a chunk (a copy) and forwards the complete lines before it', () => {
    const chunk = ownBuffer(`${SUBSCRIBE}\n{"id":4,"method":"mining.sub`);
    const rewriter = new AccountRewriter(OPTIONS);
    const out = rewriter.push(chunk);
    expect(Buffer.concat(out).toString('utf8')).toBe(`${SUBSCRIBE}\n`);
    expect(out.every((piece) => isViewOf(piece, chunk))).toBe(true);
    expect(rewriter.bufferedBytes).toBe('{"id":4,"method":"mining.sub'.length);
    chunk.fill(0x78); // the relay may reuse its chunk: the held tail must not change with it
    const rest = rewriter.push(Buffer.from('mit","params":["farm.rig1","bf","00000001","504e86ed","b2957c02"]}\n'));
    expect(Buffer.concat(rest).toString('utf8')).toBe(`${SUBMIT_OUT}\n`);
    expect(rewriter.bufferedBytes).toBe(0);
  });

  it('rewrites a line whose method name is split across chunks in a chunk without a newline', () => {
    const rewriter = new AccountRewriter(OPTIONS);
    const out = [
      ...rewriter.push(Buffer.from('{"id":2,"method":"mining.auth')),
      ...rewriter.push(Buffer.from('orize","params":["farm.rig1","x"]')),
      ...rewriter.push(Buffer.from('}\n')),
    ];
    expect(Buffer.concat(out).toString('utf8')).toBe(`${AUTHORIZE_OUT}\n`);
  });

  it('rewrites a 5 KB line that arrives one byte at a time (the held copy grows past its first size)', () => {
    const long = `{"id":9,"method":"mining.authorize","params":["farm.rig1","x","${'z'.repeat(5000)}"]}`;
    const rewriter = new AccountRewriter({ ...OPTIONS, maxLineBytes: 16384 });
    const input = Buffer.from(`${long}\n`);
    const out: Buffer[] = [];
    for (let i = 0; i < input.length; i++) out.push(...rewriter.push(input.subarray(i, i + 1)));
    expect(rewriter.stats).toEqual({ rewritten: 1, unsafe: 0 });
    expect(Buffer.concat(out).toString('utf8')).toBe(`${long.replace('"farm.rig1","x"', '"acctB.rig1","secret"')}\n`);
  });

  it('returns nothing for an empty chunk', () => {
    const rewriter = new AccountRewriter(OPTIONS);
    expect(rewriter.push(Buffer.alloc(0))).toEqual([]);
  });
});

describe('AccountRewriter caps the held tail', () => {
  const capped: AccountRewriteOptions = { ...OPTIONS, maxLineBytes: 64 };
  /** A submit of exactly 64 bytes. */
  const atCap = `{"id":4,"method":"mining.submit","params":["farm.rig1","${'j'.repeat(5)}"]}`;

  it('flushes a tail that grows past the cap unchanged, passes the rest of its line through, and counts it once', () => {
    const rewriter = new AccountRewriter(capped);
    const long = Buffer.from(`{"id":2,"method":"mining.authorize","params":["farm.rig1","${'p'.repeat(100)}"]}`);
    expect(rewriter.push(long.subarray(0, 40))).toEqual([]);
    expect(rewriter.bufferedBytes).toBe(40);
    const flushed = rewriter.push(long.subarray(40, 80));
    expect(Buffer.concat(flushed).equals(long.subarray(0, 80))).toBe(true);
    expect(rewriter.bufferedBytes).toBe(0);
    expect(rewriter.stats).toEqual({ rewritten: 0, unsafe: 1 });
    const middle = long.subarray(80, 120);
    const passed = rewriter.push(middle);
    expect(passed).toHaveLength(1);
    expect(passed[0]).toBe(middle);
    const last = rewriter.push(Buffer.concat([long.subarray(120), Buffer.from(`\n${SUBMIT.replace('"bf","00000001","504e86ed","b2957c02"', '"j"')}\n`)]));
    expect(Buffer.concat(last).toString('utf8')).toBe(`${long.subarray(120).toString('utf8')}\n{"id":4,"method":"mining.submit","params":["acctB.rig1","j"]}\n`);
    expect(rewriter.stats).toEqual({ rewritten: 1, unsafe: 1 });
  });

  it('counts an oversized line that arrives whole in one chunk once, and rewrites the next line', () => {
    const rewriter = new AccountRewriter(capped);
    const long = `{"id":2,"method":"mining.notify","params":["${'a'.repeat(100)}"]}`;
    const out = rewriter.push(Buffer.from(`${long}\n${AUTHORIZE}\n`));
    expect(Buffer.concat(out).toString('utf8')).toBe(`${long}\n${AUTHORIZE_OUT}\n`);
    expect(rewriter.stats).toEqual({ rewritten: 1, unsafe: 1 });
  });

  it('flushes an oversized tail of a single chunk at once and never holds more than the cap', () => {
    const rewriter = new AccountRewriter(capped);
    const chunk = Buffer.from(`${SUBSCRIBE}\n${'x'.repeat(65)}`);
    const out = rewriter.push(chunk);
    expect(out).toEqual([chunk]);
    expect(out[0]).toBe(chunk);
    expect(rewriter.bufferedBytes).toBe(0);
    expect(rewriter.stats).toEqual({ rewritten: 0, unsafe: 1 });
  });

  it('holds a line exactly at the cap with its \\r (cap + 1 bytes) and rewrites it when the \\n comes', () => {
    const line = atCap;
    expect(line).toHaveLength(64);
    const rewriter = new AccountRewriter(capped);
    expect(rewriter.push(Buffer.from(`${line}\r`))).toEqual([]);
    expect(rewriter.bufferedBytes).toBe(65);
    const out = rewriter.push(Buffer.from('\n'));
    expect(Buffer.concat(out).toString('utf8')).toBe(`${line.replace('farm', 'acctB')}\r\n`);
    expect(rewriter.stats).toEqual({ rewritten: 1, unsafe: 0 });
  });

  it('treats a held \\r followed by more bytes as part of an oversized line', () => {
    const line = atCap;
    const rewriter = new AccountRewriter(capped);
    expect(rewriter.push(Buffer.from(`${line}\r`))).toEqual([]);
    expect(Buffer.concat(rewriter.push(Buffer.from('x\n'))).toString('utf8')).toBe(`${line}\rx\n`);
    expect(rewriter.stats).toEqual({ rewritten: 0, unsafe: 1 });
  });
});

describe('AccountRewriter.end', () => {
  it('returns nothing when no tail is held', () => {
    const rewriter = new AccountRewriter(OPTIONS);
    rewriter.push(Buffer.from(`${SUBMIT}\n`));
    expect(rewriter.end()).toEqual([]);
  });

  it('flushes a held tail unchanged and uncounted when it is not an account line', () => {
    const rewriter = new AccountRewriter(OPTIONS);
    expect(rewriter.push(Buffer.from(SUBSCRIBE))).toEqual([]);
    expect(Buffer.concat(rewriter.end()).toString('utf8')).toBe(SUBSCRIBE);
    expect(rewriter.stats).toEqual({ rewritten: 0, unsafe: 0 });
  });

  it('flushes a held authorize unchanged (no newline, no complete request) and counts it unsafe', () => {
    const rewriter = new AccountRewriter(OPTIONS);
    rewriter.push(Buffer.from(AUTHORIZE.slice(0, 30)));
    rewriter.push(Buffer.from(AUTHORIZE.slice(30)));
    expect(Buffer.concat(rewriter.end()).toString('utf8')).toBe(AUTHORIZE);
    expect(rewriter.stats).toEqual({ rewritten: 0, unsafe: 1 });
    expect(rewriter.bufferedBytes).toBe(0);
  });

  it('leaves the rewriter ready for a new stream, also after an oversized line', () => {
    const rewriter = new AccountRewriter({ ...OPTIONS, maxLineBytes: 64 });
    rewriter.push(Buffer.from('x'.repeat(100)));
    expect(rewriter.end()).toEqual([]);
    expect(Buffer.concat(rewriter.push(Buffer.from(`${AUTHORIZE}\n`))).toString('utf8')).toBe(`${AUTHORIZE_OUT}\n`);
    expect(rewriter.stats).toEqual({ rewritten: 1, unsafe: 1 });
  });
});

describe('AccountRewriter on the real transcripts (miner->pool lines)', () => {
  const transcripts = loadCorpus();
  const seed = testSeed();

  function methodOf(line: string): unknown {
    try {
      return (JSON.parse(line) as { method?: unknown }).method;
    } catch {
      return undefined;
    }
  }

  describe.each([
    ['without a password, LF', { account: 'acctB', password: null, maxLineBytes: 16384 }, '\n'],
    ['with a password, CRLF', { account: 'acctB', password: 'secret', maxLineBytes: 16384 }, '\r\n'],
    ['with an account that needs escaping', { account: 'a"c\\c😀', password: 'p"w', maxLineBytes: 16384 }, '\n'],
  ] as const)('%s', (_name, options, eol) => {
    it.each(transcripts.map((t) => [t.file, t] as const))('%s: other lines byte-identical, authorize/submit rewritten or counted unsafe', (file, transcript) => {
      const lines = transcript.messages.filter((m) => m.dir === 'miner->pool').map((m) => m.line);
      const input = Buffer.from(lines.map((l) => `${l}${eol}`).join(''), 'utf8');
      withSeed(seed, () => {
        const rand = mulberry32(deriveSeed(seed, file.length));
        for (const chunks of [[input], randomChunks(rand, input), randomChunks(rand, input)]) {
          const run = streamed(options, chunks);
          const outLines = run.out.toString('utf8').split(eol);
          expect(outLines).toHaveLength(lines.length + 1);
          let accountLines = 0;
          let changed = 0;
          lines.forEach((line, i) => {
            const method = methodOf(line);
            const out = outLines[i] as string;
            if (method !== 'mining.authorize' && method !== 'mining.submit') {
              expect({ i, out }).toEqual({ i, out: line });
              return;
            }
            accountLines++;
            if (out === line) return; // forwarded unchanged: must be counted unsafe (checked below)
            changed++;
            const msg = JSON.parse(line) as { params: unknown[] };
            const params = [...msg.params];
            params[0] = withAccount(params[0] as string, options.account);
            if (method === 'mining.authorize' && options.password !== null) params[1] = options.password;
            expect({ i, parsed: JSON.parse(out) as unknown }).toEqual({ i, parsed: { ...msg, params } });
          });
          expect(run.stats.rewritten).toBe(changed);
          expect(run.stats.rewritten + run.stats.unsafe).toBe(accountLines);
        }
      });
    });

    it('rewrites every authorize and submit of the corpus (all are well-formed)', () => {
      const lines = transcripts.flatMap((t) => t.messages.filter((m) => m.dir === 'miner->pool').map((m) => m.line));
      const accountLines = lines.filter((l) => ['mining.authorize', 'mining.submit'].includes(methodOf(l) as string)).length;
      expect(accountLines).toBeGreaterThan(20);
      const run = streamed(options, [Buffer.from(lines.map((l) => `${l}${eol}`).join(''), 'utf8')]);
      expect(run.stats).toEqual({ rewritten: accountLines, unsafe: 0 });
    });
  });
});
