import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface ToolRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout + stderr, for failure messages. */
  readonly output: string;
}

/** Absolute path of an executable on PATH, or null. */
export function findExecutable(name: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** Where each tool comes from, for the message when it is missing. */
const TOOL_SOURCES = {
  promtool: 'the Debian package `prometheus` (apt-get install prometheus) or the release tarball from https://prometheus.io/download/',
  prometheus: 'the Debian package `prometheus` (apt-get install prometheus) or the release tarball from https://prometheus.io/download/',
  amtool: 'the Debian package `prometheus-alertmanager` (apt-get install prometheus-alertmanager) or the Alertmanager release tarball',
  alertmanager:
    'the Debian package `prometheus-alertmanager` (apt-get install prometheus-alertmanager; Debian names the binary prometheus-alertmanager) or the Alertmanager release tarball',
} as const;

/** Debian renames Alertmanager's binary; the release tarball keeps `alertmanager`. */
const TOOL_NAMES: Record<keyof typeof TOOL_SOURCES, readonly string[]> = {
  promtool: ['promtool'],
  prometheus: ['prometheus'],
  amtool: ['amtool'],
  alertmanager: ['prometheus-alertmanager', 'alertmanager'],
};

/**
 * Path of a Prometheus or Alertmanager tool. Missing tools fail the test (never skip it): the
 * rules, routes and dashboards would otherwise ship unchecked.
 */
export function requireTool(name: keyof typeof TOOL_SOURCES): string {
  for (const candidate of TOOL_NAMES[name]) {
    const found = findExecutable(candidate);
    if (found !== null) return found;
  }
  throw new Error(`\`${TOOL_NAMES[name].join('` or `')}\` is not on PATH. It comes with ${TOOL_SOURCES[name]}. The ops tests cannot run without it.`);
}

/** Runs a tool synchronously (they are quick) with a generous deadline for a loaded CI box. */
function runTool(name: 'promtool' | 'amtool', args: readonly string[], cwd?: string): ToolRun {
  const res = spawnSync(requireTool(name), args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (res.error) throw res.error;
  const stdout = res.stdout ?? '';
  const stderr = res.stderr ?? '';
  return { status: res.status, stdout, stderr, output: `${stdout}\n${stderr}`.trim() };
}

export const runPromtool = (args: readonly string[], cwd?: string): ToolRun => runTool('promtool', args, cwd);

export const runAmtool = (args: readonly string[], cwd?: string): ToolRun => runTool('amtool', args, cwd);
