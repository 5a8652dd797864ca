'use strict';
// Preloaded into a relay under test by `relay-bench.js --gc` (NODE_OPTIONS=--require; the V8 flag
// itself is not allowed in NODE_OPTIONS): turns on V8's `--trace-gc-nvp`, one line on stdout per
// garbage collection with its kind (`gc=s` a scavenge), its pause and the bytes allocated since
// the one before (`allocated=`). The benchmark reads the relay's stdout and sums them over its
// measurement window (see gcTrace in relay-bench.js). Printing a line per collection costs the
// relay next to nothing: a few collections per second at the fixed rate.
require('node:v8').setFlagsFromString('--trace-gc-nvp');
