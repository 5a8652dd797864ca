// Types of trace-model.js for TypeScript callers (the node tests). The browser never loads
// this file; TRACE_VIEW_ASSET_FILES does not list it.
export type TraceDirection = 'miner_to_pool' | 'pool_to_miner';

export interface TraceEntry {
  t: number;
  direction: TraceDirection;
  line: string;
  method: string;
  session?: string | number;
}

export interface TraceFilter {
  direction: '' | TraceDirection;
  method: string;
  text: string;
}

export const DIRECTIONS: readonly TraceDirection[];
export const MAX_METHOD_CHOICES: number;
export function normalizeEntry(raw: unknown): TraceEntry | null;
export function methodOfLine(line: string): string;
export function normalizeFilter(filter: unknown): TraceFilter;
export function matchesFilter(entry: TraceEntry, filter: TraceFilter): boolean;
export function formatTime(t: number): string;
export function directionArrow(direction: string): string;
export function directionLabel(direction: string): string;
export function prettyLine(line: string): string;

export class TraceBuffer<T = TraceEntry> {
  constructor(maxRows: number);
  readonly capacity: number;
  readonly size: number;
  push(entry: T): T | undefined;
  toArray(): T[];
  clear(): void;
}

export class MethodChoices {
  constructor(limit?: number);
  readonly limit: number;
  add(method: string): boolean;
  list(): string[];
  clear(): void;
}
