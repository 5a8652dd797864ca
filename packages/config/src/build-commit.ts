import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

const HASH = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The git directory of the checkout holding `dir`: `.git` itself, or where a `.git` file points (worktrees, submodules). */
function gitDirOf(dir: string): string | undefined {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const dotGit = join(at, '.git');
    if (existsSync(dotGit)) {
      if (statSync(dotGit).isDirectory()) return dotGit;
      const pointer = /^gitdir: (.+)$/m.exec(readText(dotGit) ?? '')?.[1];
      return pointer === undefined ? undefined : isAbsolute(pointer) ? pointer : resolve(at, pointer);
    }
    if (dirname(at) === at) return undefined;
  }
}

/**
 * The commit the program runs from, when it runs from a git checkout (`--version` says
 * "commit unknown" otherwise: an npm or Docker install has no .git). Read from the files git
 * keeps (HEAD, the branch's ref, packed-refs) rather than by running git, which may not be
 * installed where the relay runs. Never throws.
 */
export function buildCommit(fromDir: string): string | undefined {
  try {
    const gitDir = gitDirOf(fromDir);
    if (gitDir === undefined) return undefined;
    const head = readText(join(gitDir, 'HEAD'));
    if (head === undefined) return undefined;
    if (HASH.test(head)) return head; // detached HEAD
    const ref = /^ref: (\S+)$/.exec(head)?.[1];
    if (ref === undefined) return undefined;
    // A worktree keeps its HEAD but shares refs with the main repository (`commondir`).
    const common = readText(join(gitDir, 'commondir'));
    const refsDir = common === undefined ? gitDir : resolve(gitDir, common);
    for (const base of [gitDir, refsDir]) {
      const loose = readText(join(base, ref));
      if (loose !== undefined && HASH.test(loose)) return loose;
    }
    for (const line of (readText(join(refsDir, 'packed-refs')) ?? '').split('\n')) {
      const [hash, name] = line.split(' ');
      if (name === ref && hash !== undefined && HASH.test(hash)) return hash;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** The `--version` line of every program: `stratum-proxy 0.1.0 (commit 0b82255a1c3e)` or `(commit unknown)`. */
export function versionLine(program: string, version: string, commit: string | undefined): string {
  return `${program} ${version} (commit ${commit === undefined ? 'unknown' : commit.slice(0, 12)})\n`;
}
