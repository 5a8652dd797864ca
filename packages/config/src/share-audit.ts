import { z } from 'zod';

/**
 * SHARE_AUDIT: which submitted shares the proxy hashes itself.
 * - `true` (written `all`): every share; every audit metric is an exact count.
 * - `{ mode: 'rejected', fraction }` (written `rejected` or `rejected:<fraction>`): every share the
 *   pool rejects, so `valid_rejected` stays exact, and a uniform sample of `fraction` of all shares.
 * - `{ mode: 'sample', fraction }` (written `sample:<fraction>`): only a uniform sample.
 * - `false` (written `off`): none.
 * `true`/`false` are what the option was before it had modes; they stay its values for all and off,
 * so configs, /status readers and JSON files written for the boolean keep their meaning.
 */
export const shareAuditSchema = z.union([
  z.boolean(),
  z
    .object({
      mode: z.enum(['rejected', 'sample']),
      // 1 is `all` (normalized to true by the loader): a "sample" of everything is no sample.
      fraction: z.number().gt(0).lt(1),
    })
    .strict()
    .readonly(),
]);

export type ShareAuditSetting = z.infer<typeof shareAuditSchema>;

/** The sample `rejected` takes of all shares when no fraction is written: 1 %. */
export const DEFAULT_REJECTED_SAMPLE = 0.01;

const FRACTION_TEXT = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
const MODE_TEXT = /^(rejected|sample)(?::(.*))?$/;
const ALL_TEXT: ReadonlySet<string> = new Set(['all', 'true', '1', 'yes']);
const OFF_TEXT: ReadonlySet<string> = new Set(['off', 'false', '0', 'no']);

export const SHARE_AUDIT_TEXT_EXPECTED =
  'all, rejected, rejected:<fraction>, sample:<fraction> or off (a fraction above 0 and at most 1, e.g. sample:0.05; true/false/1/0/yes/no also mean all/off)';
export const SHARE_AUDIT_FILE_EXPECTED =
  'true, false, or one of "all", "rejected", "rejected:<fraction>", "sample:<fraction>", "off" (a fraction above 0 and at most 1)';

/**
 * The setting a SHARE_AUDIT text stands for (any case), or undefined when it is not one.
 * `rejected:1` and `sample:1` hash every share: they are `all` (true).
 */
export function parseShareAuditText(text: string): ShareAuditSetting | undefined {
  const lower = text.toLowerCase();
  if (ALL_TEXT.has(lower)) return true;
  if (OFF_TEXT.has(lower)) return false;
  const m = MODE_TEXT.exec(lower);
  if (m === null) return undefined;
  const mode = m[1] as 'rejected' | 'sample';
  const written = m[2];
  if (written === undefined) return mode === 'rejected' ? Object.freeze({ mode, fraction: DEFAULT_REJECTED_SAMPLE }) : undefined;
  if (!FRACTION_TEXT.test(written)) return undefined;
  const fraction = Number(written);
  if (!(fraction > 0 && fraction <= 1)) return undefined;
  return fraction === 1 ? true : Object.freeze({ mode, fraction });
}
