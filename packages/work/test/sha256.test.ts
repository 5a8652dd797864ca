import { sha256, sha256d } from '@stratum-relay/work';

describe('sha256 and sha256d', () => {
  it('matches the FIPS 180-2 test vector for "abc"', () => {
    expect(sha256(Buffer.from('abc')).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes twice for sha256d, as Bitcoin does', () => {
    const data = Buffer.from('hello');
    expect(sha256d(data).equals(sha256(sha256(data)))).toBe(true);
    expect(sha256d(Buffer.alloc(0)).toString('hex')).toBe('5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456');
  });
});
