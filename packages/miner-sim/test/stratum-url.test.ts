import { parseStratumUrl } from '@stratum-relay/miner-sim';

describe('parseStratumUrl', () => {
  it.each([
    ['stratum+tcp://127.0.0.1:3333', '127.0.0.1', 3333],
    ['stratum+tcp://pool.example.com:3333/', 'pool.example.com', 3333],
    ['STRATUM+TCP://Pool.Example.com:1', 'Pool.Example.com', 1],
    ['tcp://localhost:65535', 'localhost', 65535],
    ['localhost:3333', 'localhost', 3333],
    ['  10.0.0.1:4444  ', '10.0.0.1', 4444],
    ['stratum+tcp://[::1]:3333', '::1', 3333],
    ['[fe80::1]:25', 'fe80::1', 25],
  ])('parses %s', (url, host, port) => {
    expect(parseStratumUrl(url)).toEqual({ host, port });
  });

  it.each([
    ['stratum+ssl://pool:3333', 'TLS is not supported'],
    ['http://pool:3333', 'another scheme'],
    ['stratum+tcp://pool', 'no port'],
    ['pool', 'no port'],
    ['stratum+tcp://:3333', 'no host'],
    ['pool:0', 'port 0'],
    ['pool:65536', 'port too large'],
    ['pool:33a3', 'port not a number'],
    ['pool:', 'empty port'],
    ['stratum+tcp://user:pw@pool:3333', 'credentials in the url'],
    ['stratum+tcp://pool:3333/path', 'a path'],
    ['::1:3333', 'unbracketed IPv6'],
    ['[::1]3333', 'bracket without colon'],
    ['', 'empty'],
  ])('rejects %s (%s) with SRL_ERR_BAD_URL', (url) => {
    expect(() => parseStratumUrl(url)).toThrow(expect.objectContaining({ code: 'SRL_ERR_BAD_URL' }));
  });
});
