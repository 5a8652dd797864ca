/**
 * No Docker engine runs where these tests run, so docker/ is checked structurally: the
 * Dockerfile's stages, user, healthcheck, ports and entry point, and the compose file's wiring
 * against the config schema, the simulators' CLIs, prometheus/ and grafana/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_FILE_ENV, OPTIONS, configSchema, loadConfig } from '@stratum-relay/config';
import { parseCliArgs } from '@stratum-relay/miner-sim';
import { parseCli } from '@stratum-relay/pool-sim';
import { REPO_ROOT } from '../src';
import {
  copyParts,
  envVars,
  execForm,
  expandArgs,
  instructionsOf,
  parseDockerfile,
  workdirOf,
  type Stage,
} from './helpers/ops-dockerfile';
import { DOCKER_DIR, GRAFANA_DIR, PROMETHEUS_DIR } from './helpers/ops-paths';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const dockerfile = parseDockerfile(readFileSync(join(DOCKER_DIR, 'Dockerfile'), 'utf8'));
const compose = parse(readFileSync(join(DOCKER_DIR, 'docker-compose.yml'), 'utf8')) as Json;
const services = (isObject(compose['services']) ? compose['services'] : {}) as Record<string, Json>;
const service = (name: string): Json => {
  const s = services[name];
  if (!isObject(s)) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
};
const defaults = configSchema.parse({ poolHost: 'pool.example' });
const ENV_NAMES = new Set([...OPTIONS.map((o) => o.env), CONFIG_FILE_ENV]);

const stageByName = (name: string): Stage => {
  const s = dockerfile.stages.find((st) => st.name === name);
  if (s === undefined) throw new Error(`Dockerfile has no stage "${name}"`);
  return s;
};
const finalStage = dockerfile.stages[dockerfile.stages.length - 1] as Stage;

/** Workspace package name → its directory under packages/. */
const packageDirs = new Map(
  readdirSync(join(REPO_ROOT, 'packages'))
    .filter((d) => existsSync(join(REPO_ROOT, 'packages', d, 'package.json')))
    .map((d) => [String((JSON.parse(readFileSync(join(REPO_ROOT, 'packages', d, 'package.json'), 'utf8')) as Json)['name']), join('packages', d)]),
);

/**
 * Where a file in a final image comes from in the repo: follow `COPY --from=build <src> <dest>`
 * into the build stage, then `pnpm --filter <pkg> deploy ... <dir>` to the package's directory.
 */
function repoPathOfImageFile(stage: Stage, imagePath: string): string {
  for (const copy of instructionsOf(stage, 'COPY').map((c) => copyParts(c.args))) {
    const from = copy.flags.get('from');
    const dest = copy.dest.replace(/\/$/, '');
    if (from === undefined || copy.sources.length !== 1) continue;
    if (imagePath !== dest && !imagePath.startsWith(`${dest}/`)) continue;
    const buildPath = posix.join(copy.sources[0] as string, posix.relative(dest, imagePath));
    for (const run of instructionsOf(stageByName(from), 'RUN')) {
      for (const m of run.args.matchAll(/--filter\s+(\S+)\s+deploy\s+(?:--\S+\s+)*(\S+)/g)) {
        const outDir = (m[2] as string).replace(/\/$/, '');
        const pkgDir = packageDirs.get(m[1] as string);
        if (pkgDir !== undefined && (buildPath === outDir || buildPath.startsWith(`${outDir}/`))) {
          return join(pkgDir, posix.relative(outDir, buildPath));
        }
      }
    }
    throw new Error(`${imagePath}: no pnpm deploy in stage ${from} produces ${buildPath}`);
  }
  throw new Error(`${imagePath}: no COPY --from in stage ${String(stage.name)} provides it`);
}

/** The repo file a `node <script>` command runs, given the directory it runs in. */
function scriptOf(argv: readonly string[]): string {
  expect(argv[0]).toBe('node');
  const script = argv.find((a, i) => i > 0 && !a.startsWith('-'));
  if (script === undefined) throw new Error(`no script in ${JSON.stringify(argv)}`);
  return script;
}

function composeEnv(s: Json): Record<string, string> {
  const env = s['environment'];
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => String(e).split(/=(.*)/s, 2) as [string, string]));
  return isObject(env) ? Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) : {};
}

/** Container ports of a service's `ports:` (short syntax "host:container" or long syntax). */
function containerPorts(s: Json): number[] {
  return asArray(s['ports']).map((p) => {
    if (isObject(p)) return Number(p['target']);
    const parts = String(p).split('/')[0]?.split(':') ?? [];
    return Number(parts[parts.length - 1]);
  });
}

function commandOf(s: Json): string[] {
  const cmd = s['command'];
  if (!Array.isArray(cmd)) throw new Error('compose commands must use the exec (list) form');
  return cmd.map(String);
}

const DOCKER_SOCKET = '/var/run/docker.sock';

function bindMounts(s: Json): Array<{ host: string; container: string }> {
  return asArray(s['volumes'])
    .map((v) => (isObject(v) ? { host: String(v['source'] ?? ''), container: String(v['target'] ?? '') } : (([h, c]) => ({ host: h ?? '', container: c ?? '' }))(String(v).split(':'))))
    .filter((m) => m.host.startsWith('.') || m.host.startsWith('/'));
}

describe('docker/Dockerfile', () => {
  it('builds in stages from one pinned Node 22 LTS bookworm-slim release: build, sims and the runtime as the default target', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(expect.arrayContaining(['build', 'sims', 'runtime']));
    expect(finalStage.name).toBe('runtime');
    for (const s of dockerfile.stages) expect(expandArgs(s.from, dockerfile.globalArgs)).toMatch(/^node:22\.\d+\.\d+-bookworm-slim$/);
  });

  it('compiles with tsc -b and deploys only production dependencies of the proxy', () => {
    const runs = instructionsOf(stageByName('build'), 'RUN').map((r) => r.args).join('\n');
    expect(runs).toMatch(/--frozen-lockfile/);
    expect(runs).toMatch(/tsc -b/);
    expect(runs).toMatch(/--filter @stratum-relay\/proxy-service deploy --prod/);
  });

  it('copies into the build stage only files that exist in the repository', () => {
    const missing = instructionsOf(stageByName('build'), 'COPY')
      .map((c) => copyParts(c.args))
      .filter((c) => !c.flags.has('from'))
      .flatMap((c) => c.sources)
      .filter((src) => !existsSync(join(REPO_ROOT, src)));
    expect(missing).toEqual([]);
  });

  it('runs the proxy as a non-root user', () => {
    const users = instructionsOf(finalStage, 'USER').map((u) => u.args.split(':')[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users[users.length - 1]);
    expect(instructionsOf(stageByName('sims'), 'USER').map((u) => u.args).pop()).toBe('node');
  });

  it('checks health with node on /healthz of the metrics port, since slim images have no curl', () => {
    const hc = instructionsOf(finalStage, 'HEALTHCHECK');
    expect(hc).toHaveLength(1);
    const cmd = execForm((hc[0]?.args ?? '').replace(/^(--\S+\s+)*/, ''));
    expect(cmd?.[0]).toBe('node');
    expect(cmd?.join(' ')).toMatch(/\/healthz/);
    expect(cmd?.join(' ')).toMatch(new RegExp(`METRICS_PORT|${defaults.metricsPort}`));
  });

  it('exposes the default proxy and metrics ports of the config schema and stops with SIGTERM', () => {
    const exposed = instructionsOf(finalStage, 'EXPOSE').flatMap((e) => e.args.split(/\s+/)).map((p) => Number(p.split('/')[0]));
    expect(exposed).toEqual(expect.arrayContaining([defaults.proxyPort, defaults.metricsPort]));
    expect(instructionsOf(finalStage, 'STOPSIGNAL').map((s) => s.args)).toEqual(['SIGTERM']);
  });

  it('sets only environment variables the config knows, with values the config accepts', () => {
    const env = new Map(instructionsOf(finalStage, 'ENV').flatMap((e) => [...envVars(e.args)]));
    const unknown = [...env.keys()].filter((k) => k !== 'NODE_ENV' && !ENV_NAMES.has(k));
    expect(unknown).toEqual([]);
    const config = loadConfig({ argv: [], env: { ...Object.fromEntries(env), POOL_HOST: 'pool.example' } });
    expect(config.proxyPort).toBe(defaults.proxyPort);
    expect(config.metricsPort).toBe(defaults.metricsPort);
  });

  it('starts node directly on the proxy bin shim that exists in the repository', () => {
    const cmds = instructionsOf(finalStage, 'CMD');
    expect(instructionsOf(finalStage, 'ENTRYPOINT')).toEqual([]);
    const argv = execForm(cmds[cmds.length - 1]?.args ?? '');
    expect(argv).not.toBeNull();
    const script = scriptOf(argv as string[]);
    const repoPath = repoPathOfImageFile(finalStage, posix.resolve(workdirOf(finalStage), script));
    expect(repoPath).toBe(join('packages', 'proxy-service', 'bin', 'stratum-proxy.js'));
    expect(existsSync(join(REPO_ROOT, repoPath))).toBe(true);
  });
});

describe('docker/docker-compose.yml', () => {
  const proxyEnv = composeEnv(service('proxy'));

  it('wires pool-sim, proxy, miner-sim, prometheus, alertmanager with its webhook, loki with promtail, and grafana', () => {
    expect(Object.keys(services).sort()).toEqual(['alert-webhook', 'alertmanager', 'grafana', 'loki', 'miner-sim', 'pool-sim', 'prometheus', 'promtail', 'proxy']);
  });

  it('builds the images from the repository root with stages the Dockerfile has', () => {
    for (const [name, s] of Object.entries(services)) {
      const build = s['build'];
      if (build === undefined) continue;
      if (!isObject(build)) throw new Error(`${name}: build must be a mapping`);
      const context = resolve(DOCKER_DIR, String(build['context']));
      expect(context).toBe(REPO_ROOT);
      expect(existsSync(join(context, String(build['dockerfile'])))).toBe(true);
      expect(dockerfile.stages.map((st) => st.name)).toContain(build['target']);
    }
  });

  it('configures the proxy with config variable names only, and values the config accepts', () => {
    const unknown = Object.keys(proxyEnv).filter((k) => !ENV_NAMES.has(k));
    expect(unknown).toEqual([]);
    expect(() => loadConfig({ argv: [], env: proxyEnv })).not.toThrow();
  });

  it('publishes the proxy and metrics ports the proxy listens on', () => {
    const config = loadConfig({ argv: [], env: proxyEnv });
    expect(containerPorts(service('proxy'))).toEqual(expect.arrayContaining([config.proxyPort, config.metricsPort]));
  });

  it('points the proxy at pool-sim, and pool-sim listens where the proxy connects', () => {
    const config = loadConfig({ argv: [], env: proxyEnv });
    expect(config.poolHost).toBe('pool-sim');
    const argv = commandOf(service('pool-sim'));
    const cli = parseCli(argv.slice(2));
    if (cli.kind !== 'run') throw new Error('pool-sim command asks for help');
    expect(cli.options.port).toBe(config.poolPort);
    expect(cli.options.host).toBe('0.0.0.0');
    // The healthcheck probes the control server pool-sim was told to open.
    expect(JSON.stringify(service('pool-sim')['healthcheck'])).toContain(`:${String(cli.controlPort)}/healthz`);
  });

  it('points miner-sim at the proxy service and port', () => {
    const config = loadConfig({ argv: [], env: proxyEnv });
    const cli = parseCliArgs(commandOf(service('miner-sim')).slice(2));
    if (cli.kind !== 'run') throw new Error('miner-sim command asks for help');
    expect(cli.farm.url).toBe(`stratum+tcp://proxy:${config.proxyPort}`);
  });

  it('runs simulator bin shims that exist in the repository', () => {
    const sims = stageByName('sims');
    for (const name of ['pool-sim', 'miner-sim']) {
      const s = service(name);
      expect(isObject(s['build']) ? s['build']['target'] : undefined).toBe('sims');
      const script = scriptOf(commandOf(s));
      const repoPath = repoPathOfImageFile(sims, posix.resolve(String(s['working_dir'] ?? workdirOf(sims)), script));
      expect(existsSync(join(REPO_ROOT, repoPath))).toBe(true);
    }
  });

  it('mounts only host paths that exist in the repository, and declares its named volumes', () => {
    const missing: string[] = [];
    const named = Object.keys(isObject(compose['volumes']) ? compose['volumes'] : {});
    for (const [name, s] of Object.entries(services)) {
      // The Docker socket is the engine's, not the repository's: Promtail discovers the proxy's container through it.
      for (const m of bindMounts(s)) if (m.host !== DOCKER_SOCKET && !existsSync(resolve(DOCKER_DIR, m.host))) missing.push(`${name}: ${m.host}`);
      for (const v of asArray(s['volumes'])) {
        const src = isObject(v) ? String(v['source']) : String(v).split(':')[0] ?? '';
        if (!src.startsWith('.') && !src.startsWith('/') && !named.includes(src)) missing.push(`${name}: undeclared volume ${src}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('gives Prometheus the repository config, which scrapes the proxy metrics port', () => {
    const prom = service('prometheus');
    const configFlag = commandOf(prom).find((a) => a.startsWith('--config.file='));
    const configPath = (configFlag ?? '').split('=')[1] ?? '';
    const mount = bindMounts(prom).find((m) => configPath.startsWith(`${m.container}/`));
    expect(mount && resolve(DOCKER_DIR, mount.host)).toBe(PROMETHEUS_DIR);
    const hostFile = join(PROMETHEUS_DIR, posix.relative(mount?.container ?? '', configPath));
    expect(statSync(hostFile).isFile()).toBe(true);

    const promConfig = parse(readFileSync(hostFile, 'utf8')) as Json;
    const job = asArray(promConfig['scrape_configs']).filter(isObject).find((j) => j['job_name'] === 'stratum-relay');
    const targets = asArray(job?.['static_configs']).filter(isObject).flatMap((c) => asArray(c['targets']).map(String));
    const config = loadConfig({ argv: [], env: proxyEnv });
    expect(targets).toEqual([`proxy:${config.metricsPort}`]);
  });

  it('gives Alertmanager the repository\'s alertmanager.yml, Prometheus sends to it, and its webhook receivers reach the alert-webhook service', () => {
    const am = service('alertmanager');
    const configFlag = commandOf(am).find((a) => a.startsWith('--config.file=')) ?? '';
    const mount = bindMounts(am).find((m) => m.container === configFlag.split('=')[1]);
    expect(mount && resolve(DOCKER_DIR, mount.host)).toBe(join(PROMETHEUS_DIR, 'alertmanager.yml'));
    const listen = commandOf(am).find((a) => a.startsWith('--web.listen-address=')) ?? '--web.listen-address=:9093';
    const amPort = Number(listen.split(':').pop());
    expect(containerPorts(am)).toContain(amPort);

    const promConfig = parse(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as Json;
    const alerting = isObject(promConfig['alerting']) ? promConfig['alerting'] : {};
    const targets = asArray(alerting['alertmanagers'])
      .filter(isObject)
      .flatMap((m) => asArray(m['static_configs']).filter(isObject))
      .flatMap((c) => asArray(c['targets']).map(String));
    expect(targets).toEqual([`alertmanager:${amPort}`]);

    const amConfig = parse(readFileSync(join(PROMETHEUS_DIR, 'alertmanager.yml'), 'utf8')) as Json;
    const urls = asArray(amConfig['receivers'])
      .filter(isObject)
      .flatMap((r) => asArray(r['webhook_configs']).filter(isObject))
      .map((w) => new URL(String(w['url'])));
    expect(urls.length).toBeGreaterThan(0);
    const hook = service('alert-webhook');
    for (const url of urls) {
      expect(url.hostname).toBe('alert-webhook');
      expect(asArray(hook['expose']).map(Number)).toContain(Number(url.port));
      expect(commandOf(hook).join(' ')).toContain(`.listen(${url.port})`);
    }
  });

  it('ships the proxy\'s log lines to Loki with Promtail, labelled job, instance and level only', () => {
    const promtail = service('promtail');
    const configFlag = commandOf(promtail).find((a) => a.startsWith('-config.file=')) ?? '';
    const mount = bindMounts(promtail).find((m) => m.container === configFlag.split('=')[1]);
    const file = resolve(DOCKER_DIR, mount?.host ?? '');
    expect(file).toBe(join(DOCKER_DIR, 'promtail.yml'));
    expect(bindMounts(promtail).map((m) => m.host)).toContain(DOCKER_SOCKET);
    const config = parse(readFileSync(file, 'utf8')) as Json;

    const pushUrl = new URL(String(asArray(config['clients']).filter(isObject)[0]?.['url']));
    expect(Object.keys(services)).toContain(pushUrl.hostname);
    expect(containerPorts(service(pushUrl.hostname))).toContain(Number(pushUrl.port));

    const labels = new Set<string>();
    for (const job of asArray(config['scrape_configs']).filter(isObject)) {
      for (const r of asArray(job['relabel_configs']).filter(isObject)) if (typeof r['target_label'] === 'string') labels.add(r['target_label']);
      for (const c of asArray(job['static_configs']).filter(isObject)) for (const l of Object.keys(isObject(c['labels']) ? c['labels'] : {})) if (!l.startsWith('__')) labels.add(l);
      for (const stage of asArray(job['pipeline_stages']).filter(isObject)) for (const l of Object.keys(isObject(stage['labels']) ? stage['labels'] : {})) labels.add(l);
      // It discovers the proxy service's container (where the JSON lines are).
      expect(JSON.stringify(job['docker_sd_configs'])).toContain('com.docker.compose.service=proxy');
    }
    expect([...labels].sort()).toEqual(['instance', 'job', 'level']);
    expect(composeEnv(service('proxy'))['LOG_FORMAT']).toBe('json');

    const ds = parse(readFileSync(join(GRAFANA_DIR, 'provisioning', 'datasources', 'loki.yml'), 'utf8')) as Json;
    const lokiUrl = new URL(String(asArray(ds['datasources']).filter(isObject)[0]?.['url']));
    expect(lokiUrl.hostname).toBe(pushUrl.hostname);
    expect(Number(lokiUrl.port)).toBe(Number(pushUrl.port));
  });

  it('gives Grafana the provisioning and the dashboards where the provider reads them, and a datasource that reaches Prometheus', () => {
    const mounts = bindMounts(service('grafana')).map((m) => ({ host: relative(REPO_ROOT, resolve(DOCKER_DIR, m.host)), container: m.container }));
    expect(mounts).toEqual(expect.arrayContaining([{ host: 'grafana/provisioning', container: '/etc/grafana/provisioning' }]));

    const providers = parse(readFileSync(join(GRAFANA_DIR, 'provisioning', 'dashboards', 'dashboards.yml'), 'utf8')) as Json;
    const paths = asArray(providers['providers']).filter(isObject).map((p) => (isObject(p['options']) ? p['options']['path'] : undefined));
    expect(paths).toHaveLength(1);
    expect(mounts).toContainEqual({ host: 'grafana/dashboards', container: paths[0] });

    const ds = parse(readFileSync(join(GRAFANA_DIR, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as Json;
    const url = new URL(String(asArray(ds['datasources']).filter(isObject)[0]?.['url']));
    expect(Object.keys(services)).toContain(url.hostname);
    expect(containerPorts(service(url.hostname))).toContain(Number(url.port));
  });
});
