'use strict';
// Preloaded into a relay under test by `relay-bench.js --gc` (NODE_OPTIONS=--require): counts the
// process's garbage collections by kind with a perf_hooks observer and keeps the running totals
// in the file named by BENCH_GC_FILE, which the benchmark reads when its measurement window opens
// and when it closes. The observer's callback runs after each batch of collections, a few times
// per second at most, so it costs the relay next to nothing.
const fs = require('node:fs');
const { PerformanceObserver, constants } = require('node:perf_hooks');

const file = process.env.BENCH_GC_FILE;
if (file) {
  const totals = { scavenges: 0, scavengeMs: 0, maxScavengeMs: 0, marks: 0, markMs: 0, other: 0, otherMs: 0 };
  fs.writeFileSync(file, JSON.stringify(totals));
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = entry.detail ? entry.detail.kind : entry.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        totals.scavenges++;
        totals.scavengeMs += entry.duration;
        if (entry.duration > totals.maxScavengeMs) totals.maxScavengeMs = entry.duration;
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        totals.marks++;
        totals.markMs += entry.duration;
      } else {
        totals.other++;
        totals.otherMs += entry.duration;
      }
    }
    fs.writeFileSync(file, JSON.stringify(totals));
  });
  observer.observe({ entryTypes: ['gc'] });
}
