/**
 * docker/Dockerfile's steps, run outside Docker (no engine where the tests run): the build stage's
 * ENV, WORKDIR, COPY and RUN instructions executed as written in a temp dir standing for the
 * image's root, then the runtime stage's COPY --from, ENV and CMD, until the built proxy answers
 * /healthz and the image's own HEALTHCHECK command passes. The only adaptations: absolute paths
 * of the image (/src, /out, /app, /pnpm) live under a temp dir per stage, `npm install -g`
 * installs into a temp prefix (the image's /usr/local), ports are ephemeral on 127.0.0.1, the
 * pnpm store is this machine's (npm_config_store_dir: filled by the install that ran these tests,
 * so `pnpm fetch` downloads nothing twice), the environment is this machine's (registry CA or
 * proxy settings), and Node is this machine's (scripts/test.sh runs unit tests on the image's
 * Node 22 release).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { REPO_ROOT } from '../src';
import { copyParts, envVars, execForm, expandArgs, instructionsOf, parseDockerfile, workdirOf, type Stage } from './helpers/ops-dockerfile';
import { DOCKER_DIR } from './helpers/ops-paths';

const dockerfile = parseDockerfile(readFileSync(join(DOCKER_DIR, 'Dockerfile'), 'utf8'));
const stage = (name: string): Stage => {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (found === undefined) throw new Error(`Dockerfile has no stage ${name}`);
  return found;
};

/** Directories of the host that are the same inside the image (system paths, /bin/sh, /usr/local). */
const HOST_DIRS = new Set(['bin', 'usr', 'etc', 'tmp', 'dev', 'proc', 'sys', 'lib', 'var']);
const ABSOLUTE = /(^|[\s=:'"])\/([a-z][a-z0-9_-]*)(?=\/|\s|$|['":])/g;

/** The image's own top directories (/src, /out, /app, /pnpm): every absolute path the Dockerfile names but the host's. */
const IMAGE_DIRS: ReadonlySet<string> = new Set(
  dockerfile.stages.flatMap((s) =>
    s.instructions.filter((i) => !['CMD', 'HEALTHCHECK'].includes(i.keyword)).flatMap((i) => [...i.args.matchAll(ABSOLUTE)].map((m) => m[2] as string)),
  ).filter((top) => !HOST_DIRS.has(top)),
);

/** .dockerignore's patterns as a predicate on repository-relative paths (the forms it uses: name, **\/name, **\/*.ext). */
function dockerIgnore(): (rel: string) => boolean {
  const patterns = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const regexes = patterns.map((p) => {
    const body = p
      .replace(/^\*\*\//, '')
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*');
    return p.startsWith('**/') ? new RegExp(`(^|/)${body}$`) : new RegExp(`^${body}$`);
  });
  return (rel) => regexes.some((r) => r.test(rel));
}

interface Image {
  /** Where this image's root is on this machine. */
  readonly root: string;
  readonly env: Record<string, string>;
  workdir: string;
}

/** An image path (`/src/x`) on this machine: under the image's root when it is one of IMAGE_DIRS. */
function hostPath(root: string, path: string): string {
  return IMAGE_DIRS.has(path.split('/')[1] ?? '') ? join(root, path) : path;
}

/** `/out/proxy` → `<root>/out/proxy` inside a shell command or an ENV value, for the image's own directories. */
function mapPaths(root: string, text: string): string {
  return text.replace(ABSOLUTE, (all, lead: string, top: string) => (IMAGE_DIRS.has(top) ? `${lead}${join(root, top)}` : all));
}

/** `$VAR` / `${VAR}` from the stage's ARGs and ENV so far (Docker expands ENV values this way). */
function expand(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, a: string | undefined, b: string | undefined) => vars[a ?? b ?? ''] ?? all);
}

/** Run one stage's instructions (build-time ones; CMD and friends are the caller's); `COPY --from` reads `from`'s root. */
function runStage(image: Image, s: Stage, log: string[], from?: Image): void {
  const ignored = dockerIgnore();
  const args: Record<string, string> = Object.fromEntries(dockerfile.globalArgs);
  for (const ins of s.instructions) {
    switch (ins.keyword) {
      case 'ARG': {
        const [name, value] = ins.args.split('=', 2) as [string, string | undefined];
        if (value !== undefined) args[name] = value;
        break;
      }
      case 'ENV':
        for (const [k, v] of envVars(ins.args)) image.env[k] = expand(mapPaths(image.root, v), { ...args, ...image.env });
        break;
      case 'WORKDIR':
        image.workdir = posix.resolve(image.workdir, ins.args);
        mkdirSync(hostPath(image.root, image.workdir), { recursive: true });
        break;
      case 'COPY': {
        const { flags, sources, dest } = copyParts(ins.args);
        const to = hostPath(image.root, posix.resolve(image.workdir, dest));
        for (const source of sources) {
          if (flags.has('from') && from === undefined) throw new Error(`COPY --from without the stage it names (line ${ins.line})`);
          const src = from !== undefined && flags.has('from') ? hostPath(from.root, source) : join(REPO_ROOT, source);
          const target = dest.endsWith('/') && !source.endsWith('/') ? join(to, posix.basename(source)) : to;
          cpSync(src, target, {
            recursive: true,
            verbatimSymlinks: true,
            filter: (path) => flags.has('from') || !ignored(relative(REPO_ROOT, path)),
          });
        }
        break;
      }
      case 'RUN': {
        const command = expand(mapPaths(image.root, ins.args), args);
        const started = Date.now();
        const result = spawnSync('/bin/sh', ['-c', command], { cwd: hostPath(image.root, image.workdir), env: image.env, encoding: 'utf8', timeout: 480_000 });
        log.push(`RUN ${ins.args.slice(0, 80)}: ${Date.now() - started} ms`);
        if (result.status !== 0) throw new Error(`RUN ${command} exited ${String(result.status)}:\n${result.stdout}\n${result.stderr}`);
        break;
      }
      case 'USER':
      case 'EXPOSE':
      case 'STOPSIGNAL':
      case 'HEALTHCHECK':
      case 'CMD':
        break; // run-time instructions: the caller's
      default:
        throw new Error(`this test does not know how to run ${ins.keyword} (line ${ins.line})`);
    }
  }
}

/**
 * This machine's environment without what pnpm and npm set for the jest run itself (npm_*,
 * PNPM_*): it carries what reaching the registry needs here (CA bundle, proxy), as the
 * Docker daemon's network would.
 */
function hostEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !/^(npm_|pnpm_|INIT_CWD$)/i.test(e[0])));
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

/** The first JSON log line with this msg, or rejects when the process exits first. */
function waitForLog(child: ChildProcess, msg: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (parsed['msg'] === msg) resolve(parsed);
        } catch {
          // not a log line
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${String(code)} before "${msg}": ${stderr}`)));
  });
}

describe('docker/Dockerfile outside Docker', () => {
  let root = '';
  const children: ChildProcess[] = [];
  const log: string[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (root !== '') rmSync(root, { recursive: true, force: true });
    if (log.length > 0) process.stdout.write(`${log.join('\n')}\n`);
  });

  it('builds with the build stage, then the runtime stage starts the proxy, which answers /healthz and passes the HEALTHCHECK', async () => {
    root = mkdtempSync(join(tmpdir(), 'srl-docker-outside-'));
    const npmPrefix = join(root, 'usr-local');
    // The image's global npm prefix (/usr/local) and its PATH; the pnpm store the tests' own install
    // filled (the image's PNPM_HOME would otherwise start an empty one); the rest of the environment
    // is this machine's, with what reaching the registry takes here.
    const store = spawnSync('bash', [join(REPO_ROOT, 'scripts/pnpm.sh'), 'store', 'path'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 }).stdout.trim();
    expect(store).toMatch(/^\//);
    const base = {
      ...hostEnv(),
      npm_config_prefix: npmPrefix,
      npm_config_store_dir: store,
      npm_config_update_notifier: 'false',
      PATH: `${join(npmPrefix, 'bin')}:${process.env['PATH'] ?? ''}`,
    };
    const build: Image = { root: join(root, 'build'), env: { ...base }, workdir: '/' };
    mkdirSync(build.root);
    runStage(build, stage('build'), log);
    expect(existsSync(join(build.root, 'out/proxy/bin/stratum-proxy.js'))).toBe(true);
    expect(existsSync(join(build.root, 'out/proxy/dist/main.js'))).toBe(true);
    expect(existsSync(join(build.root, 'out/proxy/node_modules/prom-client'))).toBe(true);
    // --prod: no compiler or test runner in what the image ships.
    expect(existsSync(join(build.root, 'out/proxy/node_modules/typescript'))).toBe(false);

    const runtimeStage = stage('runtime');
    const runtime: Image = { root: join(root, 'runtime'), env: { PATH: process.env['PATH'] ?? '' }, workdir: '/' };
    runStage(runtime, runtimeStage, log, build);
    expect(runtime.workdir).toBe(workdirOf(runtimeStage));
    const cmd = execForm(instructionsOf(runtimeStage, 'CMD').pop()?.args ?? '');
    expect(cmd?.[0]).toBe('node');
    const env = { ...runtime.env, POOL_HOST: '127.0.0.1', POOL_PORT: '1', PROXY_HOST: '127.0.0.1', PROXY_PORT: '0', METRICS_HOST: '127.0.0.1', METRICS_PORT: '0' };
    const proxy = spawn(process.execPath, (cmd ?? []).slice(1), { cwd: hostPath(runtime.root, runtime.workdir), env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(proxy);
    const listening = await waitForLog(proxy, 'metrics HTTP server listening');
    const address = (listening['metrics_address'] ?? listening['metricsAddress']) as { port: number };
    expect(await get(`http://127.0.0.1:${address.port}/healthz`)).toBe(200);

    // The image's HEALTHCHECK command, as written, against the port the proxy took.
    const hc = execForm((instructionsOf(runtimeStage, 'HEALTHCHECK')[0]?.args ?? '').replace(/^(--\S+\s+)*/, '')) ?? [];
    const check = spawnSync(process.execPath, hc.slice(1), { env: { ...env, METRICS_PORT: String(address.port) }, timeout: 10_000 });
    expect(check.status).toBe(0);

    const exited = new Promise<number | null>((resolve) => proxy.once('exit', resolve));
    proxy.kill('SIGTERM');
    expect(await exited).toBe(0);

    // The sims stage copies the simulators from the same build: their bins start.
    const sims: Image = { root: join(root, 'sims'), env: { PATH: process.env['PATH'] ?? '' }, workdir: '/' };
    runStage(sims, stage('sims'), log, build);
    for (const bin of ['pool-sim/bin/pool-sim.js', 'miner-sim/bin/miner-sim.js']) {
      const r = spawnSync(process.execPath, [bin, '--version'], { cwd: hostPath(sims.root, sims.workdir), encoding: 'utf8', timeout: 10_000 });
      expect({ bin, status: r.status, out: r.stdout }).toEqual({ bin, status: 0, out: expect.stringMatching(/^(pool|miner)-sim \d+\.\d+\.\d+ \(commit unknown\)\n$/) });
    }
  }, 900_000);
});

// Kept beside the run: what it relies on of the Dockerfile's text.
describe('docker/Dockerfile pins', () => {
  it('installs the pnpm of package.json with npm, not corepack', () => {
    const pinned = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { packageManager: string }).packageManager.split('@')[1];
    expect(dockerfile.globalArgs.get('PNPM_VERSION')).toBe(pinned);
    const runs = instructionsOf(stage('build'), 'RUN').map((r) => r.args);
    expect(runs).toContain('npm install -g pnpm@${PNPM_VERSION}');
    expect(runs.join('\n')).not.toMatch(/corepack/);
    expect(expandArgs('${NODE_IMAGE}', dockerfile.globalArgs)).toMatch(/^node:(22|24)\.\d+\.\d+-bookworm-slim$/);
  });
});
