'use strict';
// Minimal newline splitter for the benchmark peers (not the proxy's parser): calls onLine with
// each complete line as a Buffer subarray.
function lineReader(onLine) {
  let tail = null;
  return (chunk) => {
    let buf = tail ? Buffer.concat([tail, chunk]) : chunk;
    let start = 0;
    let nl;
    while ((nl = buf.indexOf(0x0a, start)) !== -1) {
      onLine(buf.subarray(start, nl));
      start = nl + 1;
    }
    tail = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
  };
}
module.exports = { lineReader };
