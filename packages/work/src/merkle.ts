import { BadInputError } from './errors';
import { hexToBufferOfBytes } from './hex';
import { sha256d } from './sha256';

function assertHash(buf: Buffer, what: string): void {
  if (!Buffer.isBuffer(buf) || buf.length !== 32) throw new BadInputError(`${what}: expected a 32-byte hash`);
}

function hashPair(left: Buffer, right: Buffer, scratch: Buffer): Buffer {
  left.copy(scratch, 0);
  right.copy(scratch, 32);
  return sha256d(scratch);
}

/**
 * Merkle root (32 bytes, internal byte order as in the header) from the coinbase txid
 * (sha256d(coinbase), internal order) and the branch as sent in mining.notify (hex, internal
 * order): root = sha256d(root || branch[i]) for each i.
 * Throws BadHexError if a branch entry is not 64 hex characters.
 */
export function merkleRootFromBranch(coinbaseHash: Buffer, branch: readonly string[]): Buffer {
  assertHash(coinbaseHash, 'coinbaseHash');
  const nodes = new Array<Buffer>(branch.length);
  for (let i = 0; i < branch.length; i++) nodes[i] = hexToBufferOfBytes(branch[i]!, 32, `merkleBranch[${i}]`);
  // Never hand back the caller's own buffer (empty branch = one-transaction block).
  return nodes.length === 0 ? Buffer.from(coinbaseHash) : foldBranch(coinbaseHash, nodes);
}

/** Same fold over already-decoded branch hashes (the per-share path, with branches decoded once per job). */
export function foldBranch(coinbaseHash: Buffer, branch: readonly Buffer[]): Buffer {
  const scratch = Buffer.allocUnsafe(64);
  let root = coinbaseHash;
  for (const node of branch) root = hashPair(root, node, scratch);
  return root;
}

/**
 * What a pool sends in mining.notify: the merkle branch of the transaction at index 0 (the
 * coinbase) given the OTHER txids (internal byte order) in block order.
 */
export function merkleBranchForCoinbase(otherTxids: readonly Buffer[]): Buffer[] {
  otherTxids.forEach((t, i) => assertHash(t, `otherTxids[${i}]`));
  const scratch = Buffer.allocUnsafe(64);
  const branch: Buffer[] = [];
  // level[0] stands for the (unknown) coinbase-side node; only its siblings are needed.
  let level: (Buffer | null)[] = [null, ...otherTxids];
  while (level.length > 1) {
    // Bitcoin pairs the last node of an odd level with itself.
    if (level.length % 2 === 1) level.push(level[level.length - 1]!);
    branch.push(Buffer.from(level[1]!));
    const next: (Buffer | null)[] = [null];
    for (let i = 2; i < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1]!, scratch));
    level = next;
  }
  return branch;
}

/** Full merkle root of txids (internal order), Bitcoin rules (duplicate the last of an odd level). */
export function merkleRoot(txids: readonly Buffer[]): Buffer {
  if (txids.length === 0) throw new BadInputError('merkleRoot: no transactions');
  txids.forEach((t, i) => assertHash(t, `txids[${i}]`));
  const scratch = Buffer.allocUnsafe(64);
  let level: Buffer[] = txids.slice();
  while (level.length > 1) {
    if (level.length % 2 === 1) level.push(level[level.length - 1]!);
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1]!, scratch));
    level = next;
  }
  return Buffer.from(level[0]!);
}
