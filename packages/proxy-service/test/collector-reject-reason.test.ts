import { isAccepted, rejectReason } from '../src/reject-reason';

describe('rejectReason', () => {
  it.each([
    // [error as the pool sent it, expected reason]
    [[21, 'Job not found', null], 'stale'],
    [[22, 'Duplicate share', null], 'duplicate'],
    [[23, 'Low difficulty share', null], 'low_difficulty'],
    [[24, 'Unauthorized worker', null], 'unauthorized'],
    [[25, 'Not subscribed', null], 'not_subscribed'],
    [[20, 'Other/Unknown', null], 'other'],
    [[20, 'stale share'], 'other'], // a known code wins over the message
    [{ code: 21, message: 'whatever' }, 'stale'],
    [{ code: 22 }, 'duplicate'],
    [{ code: -32601, message: 'Stale share' }, 'stale'],
    [[-1, 'job not found', null], 'stale'],
    [[null, 'Duplicate', null], 'duplicate'],
    ['Stale', 'stale'],
    ['JOB NOT FOUND', 'stale'],
    ['duplicate share', 'duplicate'],
    ['low difficulty share', 'low_difficulty'],
    ['Share above target', 'low_difficulty'],
    ['high-hash', 'low_difficulty'],
    ['low diff', 'low_difficulty'],
    ['Unauthorized worker', 'unauthorized'],
    ['worker not authorized', 'unauthorized'],
    ['Invalid worker name', 'unauthorized'],
    ['Not subscribed', 'not_subscribed'],
    ['something else entirely', 'other'],
    [{ message: 'high-hash' }, 'low_difficulty'],
    [null, 'other'],
    [undefined, 'other'],
    [42, 'other'],
    [[], 'other'],
    [{}, 'other'],
  ] as Array<[unknown, string]>)('maps %j to %s', (error, expected) => {
    expect(rejectReason(error)).toBe(expected);
  });
});

describe('isAccepted', () => {
  it.each([
    [true, null, true],
    [true, undefined, true],
    [true, [23, 'low', null], false],
    [false, null, false],
    [null, null, false],
    ['true', null, false],
    [1, null, false],
  ] as Array<[unknown, unknown, boolean]>)('result %j with error %j is accepted: %s', (result, error, expected) => {
    expect(isAccepted(result, error)).toBe(expected);
  });
});
