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

/**
 * Path of a Prometheus tool. Missing tools fail the test (never skip it): the rules and
 * dashboards would otherwise ship unchecked.
 */
export function requireTool(name: 'promtool' | 'prometheus'): string {
  const found = findExecutable(name);
  if (found === null) {
    throw new Error(
      `\`${name}\` is not on PATH. It comes with the Debian package \`prometheus\` ` +
        '(apt-get install prometheus) or the release tarball from https://prometheus.io/download/. ' +
        'The ops tests check prometheus/ and grafana/ with it and cannot run without it.',
    );
  }
  return found;
}

/** Runs promtool synchronously (it is quick) with a generous deadline for a loaded CI box. */
export function runPromtool(args: readonly string[], cwd?: string): ToolRun {
  const res = spawnSync(requireTool('promtool'), args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (res.error) throw res.error;
  const stdout = res.stdout ?? '';
  const stderr = res.stderr ?? '';
  return { status: res.status, stdout, stderr, output: `${stdout}\n${stderr}`.trim() };
}
