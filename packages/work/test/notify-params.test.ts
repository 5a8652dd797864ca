import { parseNotifyParams } from '@stratum-relay/work';

const valid = (): unknown[] => [
  'b3ba',
  '4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000',
  '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008',
  '072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000',
  ['6a09e667f3bcc908b2fb1366ea957d3e3adec17512775099da2f590b0667322a'],
  '00000002',
  '1c2ac4af',
  '504e86b9',
  false,
];

describe('parseNotifyParams', () => {
  it('parses well-formed mining.notify params into a job', () => {
    const job = parseNotifyParams(valid());
    expect(job).toEqual({
      jobId: 'b3ba',
      prevhash: '4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000',
      coinb1: valid()[2],
      coinb2: valid()[3],
      merkleBranch: ['6a09e667f3bcc908b2fb1366ea957d3e3adec17512775099da2f590b0667322a'],
      version: '00000002',
      nbits: '1c2ac4af',
      ntime: '504e86b9',
      cleanJobs: false,
    });
  });

  it('ignores extra trailing params and copies the branch array', () => {
    const params = [...valid(), 'extra'];
    const job = parseNotifyParams(params);
    expect(job).not.toBeNull();
    (params[4] as string[]).push('00'.repeat(32));
    expect(job!.merkleBranch).toHaveLength(1);
  });

  it('accepts an empty merkle branch and upper-case hex', () => {
    const p = valid();
    p[4] = [];
    p[6] = '1C2AC4AF';
    expect(parseNotifyParams(p)).not.toBeNull();
  });

  const broken: [string, (p: unknown[]) => void][] = [
    ['a numeric job id', (p) => (p[0] = 7)],
    ['an empty job id', (p) => (p[0] = '')],
    ['a 63-character prevhash', (p) => (p[1] = (p[1] as string).slice(1))],
    ['a non-hex prevhash', (p) => (p[1] = 'x'.repeat(64))],
    ['an odd-length coinb1', (p) => (p[2] = (p[2] as string) + '0')],
    ['a non-string coinb2', (p) => (p[3] = null)],
    ['a merkle branch that is not an array', (p) => (p[4] = 'abcd')],
    ['a short merkle branch entry', (p) => (p[4] = ['abcd'])],
    ['a 7-character version', (p) => (p[5] = '0000002')],
    ['non-hex nbits', (p) => (p[6] = 'zzzzzzzz')],
    ['a numeric ntime', (p) => (p[7] = 1347323577)],
    ['a string clean_jobs flag', (p) => (p[8] = 'true')],
    ['only 8 params', (p) => p.pop()],
  ];

  it.each(broken)('rejects params with %s', (_name, breakIt) => {
    const p = valid();
    breakIt(p);
    expect(parseNotifyParams(p)).toBeNull();
  });

  it('rejects a non-array', () => {
    expect(parseNotifyParams({} as unknown as unknown[])).toBeNull();
    expect(parseNotifyParams(null as unknown as unknown[])).toBeNull();
  });
});
