import { posix } from 'node:path';

/** One Dockerfile instruction with its continuation lines joined. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly name: string | null;
  readonly from: string;
  readonly instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults. */
  readonly globalArgs: ReadonlyMap<string, string>;
  readonly stages: Stage[];
}

/**
 * A small Dockerfile reader: comments and blank lines dropped, `\` continuations joined,
 * instructions grouped by stage. Enough to check structure, not to build.
 */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  let pending = '';
  let startLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (pending === '' && /^\s*(#.*)?$/.test(raw)) continue;
    // Comment lines inside a continuation are skipped by Docker too.
    if (pending !== '' && /^\s*#/.test(raw)) continue;
    if (pending === '') startLine = i + 1;
    const continued = /\\\s*$/.test(raw);
    pending += (pending === '' ? '' : ' ') + raw.replace(/\\\s*$/, '').trim();
    if (continued) continue;
    const m = /^(\S+)\s*(.*)$/s.exec(pending);
    if (m) instructions.push({ keyword: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim(), line: startLine });
    pending = '';
  }

  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ from: m?.[1] ?? ins.args, name: m?.[2] ?? null, instructions: [] });
      continue;
    }
    const current = stages[stages.length - 1];
    if (current === undefined) {
      if (ins.keyword === 'ARG') {
        const [k, v] = ins.args.split('=', 2);
        globalArgs.set((k ?? '').trim(), (v ?? '').trim());
      }
      continue;
    }
    current.instructions.push(ins);
  }
  return { globalArgs, stages };
}

/** `${NAME}` / `$NAME` replaced by global ARG defaults. */
export function expandArgs(text: string, args: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, a: string | undefined, b: string | undefined) => {
    const v = args.get(a ?? b ?? '');
    return v === undefined ? all : v;
  });
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

/** The exec-form array of CMD/ENTRYPOINT/HEALTHCHECK CMD, or null for shell form. */
export function execForm(args: string): string[] | null {
  const json = args.replace(/^CMD\s+/i, '').trim();
  if (!json.startsWith('[')) return null;
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? (parsed as string[]) : null;
}

/** Flags (`--from=build`) and paths of a COPY/ADD. */
export function copyParts(args: string): { flags: Map<string, string>; sources: string[]; dest: string } {
  const words = args.split(/\s+/).filter((w) => w !== '');
  const flags = new Map<string, string>();
  while (words[0]?.startsWith('--')) {
    const [k, v] = (words.shift() as string).slice(2).split('=', 2);
    flags.set(k ?? '', v ?? '');
  }
  const dest = words.pop() ?? '';
  return { flags, sources: words, dest };
}

/** ENV instruction variables (`ENV A=1 B=2` form; the legacy `ENV A 1` form too). */
export function envVars(args: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!args.includes('=')) {
    const [k, ...v] = args.split(/\s+/);
    out.set(k ?? '', v.join(' '));
    return out;
  }
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    out.set(m[1] ?? '', (m[2] ?? '').replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/** The working directory a stage's CMD runs in (last WORKDIR, absolute). */
export function workdirOf(stage: Stage): string {
  let dir = '/';
  for (const w of instructionsOf(stage, 'WORKDIR')) dir = posix.resolve(dir, w.args);
  return dir;
}
