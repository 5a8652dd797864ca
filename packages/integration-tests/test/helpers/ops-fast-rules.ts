import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/**
 * A rule file generated from a real one at test time, with every alert's `for:` replaced by
 * `forDuration` (e.g. '2s'), so an end-to-end test sees an alert fire within seconds. Nothing
 * else changes: the expressions, labels and annotations are the shipped ones, so a test on it
 * checks them, and a rule added or changed in the real file is in the test the next run
 * (never a committed copy that drifts). Throws if the file has no alert to shorten.
 */
export function shortenedAlertRules(file: string, forDuration: string): string {
  const doc: unknown = parse(readFileSync(file, 'utf8'));
  if (!isObject(doc)) throw new Error(`${file}: not a rule file`);
  let alerts = 0;
  for (const group of objects(doc['groups'])) {
    for (const rule of objects(group['rules'])) {
      if (typeof rule['alert'] !== 'string') continue;
      rule['for'] = forDuration;
      alerts++;
    }
  }
  if (alerts === 0) throw new Error(`${file}: no alerting rule`);
  return stringify(doc);
}
