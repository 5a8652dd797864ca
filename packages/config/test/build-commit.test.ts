import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCommit, versionLine } from '@stratum-relay/config';

const A = 'a'.repeat(40);
const B = '0123456789abcdef0123456789abcdef01234567';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'srl-build-commit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(path: string, text: string): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), text);
}

describe('buildCommit', () => {
  it("reads the branch's loose ref from a directory below the checkout", () => {
    write('repo/.git/HEAD', 'ref: refs/heads/main\n');
    write('repo/.git/refs/heads/main', `${B}\n`);
    mkdirSync(join(dir, 'repo/packages/x/dist'), { recursive: true });
    expect(buildCommit(join(dir, 'repo/packages/x/dist'))).toBe(B);
  });

  it('falls back to packed-refs, and reads a detached HEAD as is', () => {
    write('repo/.git/HEAD', 'ref: refs/heads/main\n');
    write('repo/.git/packed-refs', `# pack-refs with: peeled fully-peeled sorted\n${A} refs/heads/other\n${B} refs/heads/main\n`);
    expect(buildCommit(join(dir, 'repo'))).toBe(B);
    write('repo/.git/HEAD', `${A}\n`);
    expect(buildCommit(join(dir, 'repo'))).toBe(A);
  });

  it('follows a .git file to a worktree whose refs live in the common directory', () => {
    write('main/.git/worktrees/wt/HEAD', 'ref: refs/heads/feature\n');
    write('main/.git/worktrees/wt/commondir', '../..\n');
    write('main/.git/refs/heads/feature', `${A}\n`);
    write('wt/.git', `gitdir: ${join(dir, 'main/.git/worktrees/wt')}\n`);
    expect(buildCommit(join(dir, 'wt'))).toBe(A);
  });

  it('is undefined outside a checkout or for a ref it cannot find, and never throws', () => {
    expect(buildCommit(dir)).toBeUndefined();
    write('repo/.git/HEAD', 'ref: refs/heads/gone\n');
    expect(buildCommit(join(dir, 'repo'))).toBeUndefined();
    write('repo/.git/HEAD', 'garbage');
    expect(buildCommit(join(dir, 'repo'))).toBeUndefined();
  });
});

describe('versionLine', () => {
  it('names the program, the version and the short commit, or says the commit is unknown', () => {
    expect(versionLine('stratum-proxy', '0.1.0', B)).toBe('stratum-proxy 0.1.0 (commit 0123456789ab)\n');
    expect(versionLine('pool-sim', '0.1.0', undefined)).toBe('pool-sim 0.1.0 (commit unknown)\n');
  });
});
