/** A mining.submit whose params have the right shape (values still to be judged). */
export interface SubmitShape {
  readonly worker: string;
  readonly jobId: string;
  /** Lowercased hex. */
  readonly extranonce2: string;
  readonly ntime: string;
  readonly nonce: string;
  /** 8 lowercased hex characters, present only when the miner sent a 6th param. */
  readonly versionBits: string | undefined;
}

export type SubmitParseResult = { ok: true; value: SubmitShape } | { ok: false; message: string };

const HEX8 = /^[0-9a-fA-F]{8}$/;
const HEX = /^[0-9a-fA-F]*$/;

/** Hand-written guard (no schema parse on the submit path). */
export function parseSubmitParams(params: unknown, extranonce2Size: number): SubmitParseResult {
  if (!Array.isArray(params) || params.length < 5 || params.length > 6) {
    return { ok: false, message: 'malformed params: expected 5 or 6 values' };
  }
  const [worker, jobId, extranonce2, ntime, nonce, versionBits] = params as unknown[];
  if (typeof worker !== 'string') return { ok: false, message: 'malformed worker name' };
  if (typeof jobId !== 'string' || jobId.length === 0 || jobId.length > 64) return { ok: false, message: 'malformed job id' };
  if (typeof extranonce2 !== 'string' || extranonce2.length !== extranonce2Size * 2 || !HEX.test(extranonce2)) {
    return { ok: false, message: `malformed extranonce2: expected ${extranonce2Size} bytes of hex` };
  }
  if (typeof ntime !== 'string' || !HEX8.test(ntime)) return { ok: false, message: 'malformed ntime' };
  if (typeof nonce !== 'string' || !HEX8.test(nonce)) return { ok: false, message: 'malformed nonce' };
  if (versionBits !== undefined && (typeof versionBits !== 'string' || !HEX8.test(versionBits))) {
    return { ok: false, message: 'malformed version bits' };
  }
  return {
    ok: true,
    value: {
      worker,
      jobId,
      extranonce2: extranonce2.toLowerCase(),
      ntime: ntime.toLowerCase(),
      nonce: nonce.toLowerCase(),
      versionBits: versionBits === undefined ? undefined : versionBits.toLowerCase(),
    },
  };
}
