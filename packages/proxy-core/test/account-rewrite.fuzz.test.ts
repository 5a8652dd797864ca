import { deriveSeed, mulberry32, randInt, testSeed, withSeed, type Prng } from '@stratum-relay/prng';
import { rewriteAccountLine, type AccountRewriteOptions } from '../src/upstream/account-rewrite';
import { expectedRewrite, expectedVerdict, generateLine, randomSecret, withAccount, type GeneratedLine, type Verdict } from './helpers/account-lines';

function randomOptions(rand: Prng): AccountRewriteOptions {
  const account = rand() < 0.5 ? 'acctB' : randomSecret(rand);
  const password = rand() < 0.5 ? null : rand() < 0.3 ? 'x' : randomSecret(rand);
  return { account, password, maxLineBytes: 4096 };
}

/** What JSON.parse of a rewritten line must give: the input's message with only the account tokens changed. */
function expectedMessage(input: Buffer, options: AccountRewriteOptions): { method: string; params: unknown[] } {
  const msg = JSON.parse(input.toString('utf8')) as { method: string; params: unknown[] };
  const params = [...msg.params];
  params[0] = withAccount(params[0] as string, options.account);
  if (msg.method === 'mining.authorize' && options.password !== null) params[1] = options.password;
  return { ...msg, params };
}

function describeCase(k: number, g: GeneratedLine, options: AccountRewriteOptions): string {
  return `line ${k} ${JSON.stringify(g.line.toString('utf8'))} (kind ${g.kind}, flaws [${g.flaws.join('; ')}]) with ${JSON.stringify(options)}`;
}

describe('rewriteAccountLine on seeded random authorize/submit lines', () => {
  const seed = testSeed();

  it('splices exactly the user (and password) tokens, or forwards the same Buffer and counts it unsafe, over 6000 lines', () => {
    withSeed(seed, () => {
      const rand = mulberry32(seed);
      const seen: Record<Verdict, number> = { rewrite: 0, unsafe: 0, other: 0 };
      const flawsSeen = new Set<string>();
      for (let k = 0; k < 6000; k++) {
        const g = generateLine(rand, { newlines: true });
        const options = randomOptions(rand);
        const verdict = expectedVerdict(g, options.password !== null);
        seen[verdict]++;
        for (const f of g.flaws) flawsSeen.add(f);
        const stats = { rewritten: 0, unsafe: 0 };
        let out: Buffer;
        try {
          out = rewriteAccountLine(g.line, options, stats);
        } catch (err) {
          throw new Error(`${describeCase(k, g, options)} threw: ${(err as Error).message}`);
        }
        const fail = (what: string): never => {
          throw new Error(`${describeCase(k, g, options)}: ${what}; got ${JSON.stringify(out.toString('utf8'))}, stats ${JSON.stringify(stats)}`);
        };
        if (verdict !== 'rewrite') {
          if (out !== g.line) fail(`expected ${verdict}: the same Buffer back`);
          if (stats.rewritten !== 0 || stats.unsafe !== (verdict === 'unsafe' ? 1 : 0)) fail(`expected ${verdict} in the stats`);
          continue;
        }
        if (stats.rewritten !== 1 || stats.unsafe !== 0) fail('expected one rewrite in the stats');
        const expected = expectedRewrite(g, options.account, options.password);
        if (!out.equals(expected)) fail(`expected ${JSON.stringify(expected.toString('utf8'))}`);
        if (expected.equals(g.line) && out !== g.line) fail('an unchanged line must come back as the same Buffer');
        expect(JSON.parse(out.toString('utf8'))).toEqual(expectedMessage(g.line, options));
      }
      // The generator really exercised every outcome and every flaw.
      expect(seen.rewrite).toBeGreaterThan(3000);
      expect(seen.unsafe).toBeGreaterThan(600);
      expect(seen.other).toBeGreaterThan(400);
      expect([...flawsSeen].sort()).toEqual([
        'duplicate method',
        'duplicate params',
        'escape in params[0]',
        'invalid JSON: raw control character in params[0]',
        'invalid JSON: trailing comma',
        'invalid JSON: truncated',
        'method spelled with an escape',
        'no params',
        'not JSON',
        'params not an array',
        'params[0] not a string',
      ]);
    });
  });

  it('never throws on corrupted lines, and rewrites only valid JSON, changing nothing but the account tokens', () => {
    withSeed(seed, () => {
      const rand = mulberry32(deriveSeed(seed, 1));
      let rewritten = 0;
      for (let k = 0; k < 6000; k++) {
        const g = generateLine(rand, { newlines: true });
        const line = Buffer.from(g.line);
        // Delete, insert or replace one byte (JSON structure bytes are the interesting ones).
        const at = randInt(rand, 0, Math.max(0, line.length - 1));
        const byte = rand() < 0.7 ? '{}[]",:\\. 0'.charCodeAt(randInt(rand, 0, 10)) : randInt(rand, 0, 255);
        const op = randInt(rand, 0, 2);
        const corrupted =
          op === 0
            ? Buffer.concat([line.subarray(0, at), line.subarray(at + 1)])
            : op === 1
              ? Buffer.concat([line.subarray(0, at), Buffer.of(byte), line.subarray(at)])
              : Buffer.concat([line.subarray(0, at), Buffer.of(byte), line.subarray(at + 1)]);
        const options = randomOptions(rand);
        const stats = { rewritten: 0, unsafe: 0 };
        const out = rewriteAccountLine(corrupted, options, stats);
        const context = `corrupted line ${k} ${JSON.stringify(corrupted.toString('utf8'))} with ${JSON.stringify(options)}`;
        if (stats.rewritten + stats.unsafe > 1) throw new Error(`${context}: counted twice`);
        if (stats.rewritten === 0) {
          if (out !== corrupted) throw new Error(`${context}: changed without counting a rewrite`);
          continue;
        }
        rewritten++;
        let parsed: unknown;
        try {
          parsed = JSON.parse(out.toString('utf8'));
        } catch {
          throw new Error(`${context}: rewrote into invalid JSON ${JSON.stringify(out.toString('utf8'))}`);
        }
        expect({ context, parsed }).toEqual({ context, parsed: expectedMessage(corrupted, options) });
      }
      expect(rewritten).toBeGreaterThan(1000);
    });
  });
});
