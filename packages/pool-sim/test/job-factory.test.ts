import { encodeBip34Height, merkleRoot, merkleRootFromBranch, parseNotifyParams, sha256d } from '@stratum-relay/work';
import { mulberry32 } from '@stratum-relay/prng';
import { SimulatedChain } from '../src/chain-tip';
import { JobBook } from '../src/job-book';
import { JobFactory } from '../src/job-factory';

function factory(): JobFactory {
  return new JobFactory({
    extranonceSize: 8,
    version: 0x20000000,
    nbits: '1d00ffff',
    valueSats: 312_500_000n,
    scriptPubKeyHex: `0014${'11'.repeat(20)}`,
    tagPrefix: '/test',
  });
}

describe('JobFactory', () => {
  const chain = new SimulatedChain(mulberry32(5), 840_000, 5);

  it('builds a notify that parses back into the same job, with version 20000000', () => {
    const job = factory().build(chain.tip, 'a1', 1, 1_700_000_000, true);
    const notify = JSON.parse(job.notifyLine.toString()) as { params: unknown[] };
    expect(parseNotifyParams(notify.params)).toEqual(job.job);
    expect(job.job.version).toBe('20000000');
    expect(job.job.ntime).toBe((1_700_000_000).toString(16));
    expect(job.notifyLine.at(-1)).toBe(0x0a);
  });

  it('puts the BIP34 height first in the coinbase scriptSig', () => {
    const { job } = factory().build(chain.tip, 'a1', 1, 1_700_000_000, true);
    // version(4) + input count(1) + prevout(36) + scriptSig length(1), then the height push.
    const afterLength = Buffer.from(job.coinb1, 'hex').subarray(42);
    const height = encodeBip34Height(chain.tip.height);
    expect(afterLength.subarray(0, height.length).equals(height)).toBe(true);
  });

  it('gives a merkle branch that folds to the full block merkle root', () => {
    const { job } = factory().build(chain.tip, 'a1', 1, 1_700_000_000, true);
    const coinbase = Buffer.from(`${job.coinb1}${'00'.repeat(8)}${job.coinb2}`, 'hex');
    const cbHash = sha256d(coinbase);
    expect(merkleRootFromBranch(cbHash, job.merkleBranch).equals(merkleRoot([cbHash, ...chain.tip.txids]))).toBe(true);
  });

  it('makes two jobs on the same tip differ in their coinbase, so the header changes', () => {
    const f = factory();
    const a = f.build(chain.tip, 'a1', 1, 1_700_000_000, false);
    const b = f.build(chain.tip, 'a2', 2, 1_700_000_000, false);
    expect(a.job.coinb2).not.toBe(b.job.coinb2);
    expect(a.job.merkleBranch).toEqual(b.job.merkleBranch);
  });
});

describe('JobBook', () => {
  it('forgets every earlier job on a clean job and the oldest past its cap', () => {
    const f = factory();
    const chain = new SimulatedChain(mulberry32(6), 100, 0);
    const book = new JobBook(2);
    book.add(f.build(chain.tip, 'j1', 1, 1, false));
    book.add(f.build(chain.tip, 'j2', 2, 1, false));
    book.add(f.build(chain.tip, 'j3', 3, 1, false));
    expect(book.get('j1')).toBeUndefined();
    expect(book.get('j2')).toBeDefined();
    book.add(f.build(chain.advance(), 'j4', 4, 1, true));
    expect(book.get('j2')).toBeUndefined();
    expect(book.get('j3')).toBeUndefined();
    expect(book.current?.job.jobId).toBe('j4');
  });
});
