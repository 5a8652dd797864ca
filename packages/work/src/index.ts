export { sha256, sha256d } from './sha256';
export { buildCoinbase } from './coinbase';
export { merkleRootFromBranch, merkleBranchForCoinbase, merkleRoot } from './merkle';
export { stratumPrevhashToHeaderBytes, headerBytesToStratumPrevhash } from './prevhash';
export { buildHeader } from './header';
export type { HeaderFields } from './header';
export {
  DIFF1_TARGET,
  MAX_TARGET,
  hashToDisplayHex,
  hashToBigInt,
  difficultyToTarget,
  targetToDifficulty,
  hashDifficulty,
  nbitsToTarget,
  targetToNbits,
  meetsTarget,
} from './target';
export { applyVersionRolling } from './version-rolling';
export { parseNotifyParams } from './notify-params';
export type { StratumJob } from './notify-params';
export { evaluateShare } from './evaluate-share';
export type { ShareInput, ShareResult } from './evaluate-share';
export { HeaderHasher } from './header-hasher';
export { ShareAuditor } from './share-auditor';
export type { ShareAudit } from './share-auditor';
export { buildCoinbaseParts, encodeBip34Height } from './coinbase-parts';
export type { CoinbaseParts, CoinbasePartsOptions } from './coinbase-parts';
export {
  WorkError,
  BadHexError,
  BadShareError,
  BadJobError,
  BadDifficultyError,
  BadTargetError,
  BadNbitsError,
  BadInputError,
} from './errors';
export type { WorkErrorCode } from './errors';
