import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@stratum-relay/config';
import { EXIT_CODES, ProxyServiceError, VERSION } from '@stratum-relay/proxy-service';
import { configErrorText, shutdownExitCode, signalExitCode, startErrorLine } from '../src/cli';

describe('exit codes and messages of stratum-proxy', () => {
  it('uses 0 for success, 1 for start failures and 2 for config problems', () => {
    expect(EXIT_CODES).toEqual({ OK: 0, START_FAILED: 1, CONFIG: 2 });
  });

  it('prefixes each config problem with "config error: " on its own line', () => {
    expect(configErrorText(new ConfigError(['a is wrong', 'b is wrong']))).toBe('config error: a is wrong\nconfig error: b is wrong\n');
  });

  it('prints a service error as it is and prefixes anything else', () => {
    expect(startErrorLine(new ProxyServiceError('SRL_ERR_START', 'cannot start the proxy on h:1: boom'))).toBe('cannot start the proxy on h:1: boom');
    expect(startErrorLine(new Error('boom'))).toBe('cannot start: boom');
  });

  it('exits 128 + the signal number when a second signal aborted the drain', () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
    const result = { signal: 'SIGTERM', drained: 0, forced: 0, ok: true };
    expect(shutdownExitCode({ ...result, aborted: true }, 'SIGINT')).toBe(130);
    expect(shutdownExitCode({ ...result, aborted: false }, undefined)).toBe(0);
    expect(shutdownExitCode({ ...result, aborted: false, ok: false }, undefined)).toBe(1);
  });

  it('reports the version written in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
