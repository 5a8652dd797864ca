import { readFileSync } from 'node:fs';

export interface MainnetBlock {
  name: string;
  height: number;
  block_hash_display: string;
  tx_count: number;
  raw_block_hex: string;
}

const FIXTURE = '/work/shared/blocks/mainnet-blocks.json';

/** The raw mainnet blocks fixture (genesis, 170, 221, 277647), as [name, block] rows. */
export function loadMainnetBlocks(): MainnetBlock[] {
  const json = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { blocks: Record<string, Omit<MainnetBlock, 'name'>> };
  return Object.entries(json.blocks).map(([name, b]) => ({ name, ...b }));
}
