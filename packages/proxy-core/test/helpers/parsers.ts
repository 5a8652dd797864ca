import { JsonparseStratumParser } from '../../src/jsonparse-parser';
import { StratumParser, type StratumParserOptions } from '../../src/stratum-parser';

/** StratumParser with its fast path off: every line decoded by JSON.parse (the general path). */
export class JsonParseOnlyStratumParser extends StratumParser {
  constructor(options: StratumParserOptions) {
    super({ ...options, fastPath: false });
  }
}

/** Every LineObserver implementation the shared parser suites run against. */
export const PARSER_IMPLEMENTATIONS: [string, typeof StratumParser][] = [
  ['StratumParser (fast path, JSON.parse for the rest)', StratumParser],
  ['StratumParser (JSON.parse only)', JsonParseOnlyStratumParser],
  ['JsonparseStratumParser (jsonparse)', JsonparseStratumParser],
];
