import { rejectReasonFromError } from '@stratum-relay/miner-sim';

describe('rejectReasonFromError', () => {
  it.each([
    [[21, 'Job not found', null], 'stale'],
    [[22, 'Duplicate share', null], 'duplicate'],
    [[23, 'Low difficulty share', null], 'low_difficulty'],
    [[24, 'Unauthorized worker', null], 'unauthorized'],
    [[25, 'Not subscribed', null], 'not_subscribed'],
    [[20, 'Other', null], 'other'],
    [[-1, 'weird', null], 'other'],
    [{ code: 21, message: 'stale' }, 'stale'],
    [{ code: 23 }, 'low_difficulty'],
    ['some text', 'other'],
    [null, 'other'],
    [['21', 'string code'], 'other'],
  ])('maps %j to %s', (error, reason) => {
    expect(rejectReasonFromError(error)).toBe(reason);
  });
});
