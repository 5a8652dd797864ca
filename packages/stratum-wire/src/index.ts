// Public API of stratum-wire: the one Stratum framing of the monorepo. The relay's observer and
// both simulators cut lines with it, so the test peers do not depend on the relay they test.
/** Zero-copy newline splitting with a hard line cap. */
export { LineSplitter } from './line-splitter';
export type { LineSink, LineSplitterState } from './line-splitter';
