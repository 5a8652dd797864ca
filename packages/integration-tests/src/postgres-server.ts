import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ProcessStartError } from './errors';
import { freePort } from './free-port';

/** A PostgreSQL server of its own for a test: a temp data directory, a free port on 127.0.0.1. */
export interface PostgresServer {
  readonly port: number;
  /** `postgres://journal@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly url: string;
  /** A new empty database; its URL. */
  createDatabase(name: string): string;
  /** Stops the server, keeping its data (a database that went away). */
  pause(): void;
  /** Starts it again on the same port with the same data. */
  resume(): void;
  /** Stops it and removes its directory. */
  stop(): void;
}

const SUPERUSER = 'journal';

/** Debian's PostgreSQL binaries (postgresql package), newest version first, or PG_BIN. */
function postgresBin(): string {
  const fromEnv = process.env['PG_BIN'];
  if (fromEnv !== undefined && existsSync(join(fromEnv, 'initdb'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  if (newest === undefined) {
    throw new ProcessStartError('PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/initdb): apt-get install postgresql (scripts/test.sh does)');
  }
  return join(root, newest, 'bin');
}

/**
 * initdb + pg_ctl start in a temp directory. PostgreSQL refuses to run as root, and the tests
 * run as root in CI: then the directory is given to the `postgres` user (the Debian package
 * creates it) and the commands run through runuser. Never skips: a server that cannot start
 * throws with its log.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'srl-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const asRoot = userInfo().uid === 0;
  const run = (command: string, args: readonly string[]): string => {
    const full = join(bin, command);
    try {
      return asRoot
        ? execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        : execFileSync(full, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const stderr = (error as { stderr?: unknown }).stderr;
      const serverLog = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
      throw new ProcessStartError(`PostgreSQL: ${command} failed: ${String(stderr ?? error).trim()}${serverLog === '' ? '' : `\n${serverLog}`}`, {
        cause: error,
      });
    }
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  run('initdb', ['-D', data, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const port = await freePort();
  // No fsync: a test server's data need not survive the machine (it is faster, not less correct).
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const start = (): void => {
    run('pg_ctl', ['-D', data, '-o', serverOptions, '-l', log, '-w', '-t', '30', 'start']);
  };
  const stopServer = (): void => {
    run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
  };
  start();
  let running = true;
  const url = (db: string): string => `postgres://${SUPERUSER}@127.0.0.1:${port}/${db}`;
  const onExit = (): void => {
    if (running) {
      try {
        stopServer();
      } catch {
        // leaving anyway
      }
    }
  };
  process.once('exit', onExit);
  return {
    port,
    url: url('postgres'),
    createDatabase(name: string): string {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', SUPERUSER, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE DATABASE ${name}`]);
      return url(name);
    },
    pause(): void {
      if (!running) return;
      stopServer();
      running = false;
    },
    resume(): void {
      if (running) return;
      start();
      running = true;
    },
    stop(): void {
      process.removeListener('exit', onExit);
      if (running) stopServer();
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
