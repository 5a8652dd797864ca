'use strict';
// The abuse benchmark's pool, in its own process. Prints {"port":N}. Answers subscribe, authorize
// and submit at once (echoing ids) like the latency pool, but reads lines with a hard cap (a
// 100 MB line must not stall the pool: the benchmark measures the proxy), and a session that
// subscribes with the user agent "stall" stops reading after its handshake (the "pool that stops
// reading" abuse, for that one session only).
const net = require('node:net');
const { subscribeAnswer, answerLine, notifyLine } = require('./fixtures');

const MAX_LINE = 64 * 1024;
const ID_RE = /"id":\s*("[^"]*"|-?\d+|null)/;

const server = net.createServer({ noDelay: true }, (sock) => {
  sock.setNoDelay(true);
  sock.on('error', () => {});
  let tail = [];
  let tailBytes = 0;
  let skipping = false;
  let stall = false;
  const onLine = (line) => {
    const s = line.toString('latin1');
    const id = (ID_RE.exec(s) || [])[1] || 'null';
    if (s.includes('"mining.submit"')) sock.write(answerLine(id));
    else if (s.includes('"mining.subscribe"')) {
      stall = s.includes('"stall"');
      sock.write(subscribeAnswer(JSON.parse(id)));
    } else if (s.includes('"mining.authorize"')) {
      sock.write(answerLine(id) + '{"id":null,"method":"mining.set_difficulty","params":[0.001]}\n' + notifyLine(undefined, true));
      if (stall) sock.pause();
    }
  };
  sock.on('data', (chunk) => {
    let start = 0;
    let nl;
    while ((nl = chunk.indexOf(0x0a, start)) !== -1) {
      if (!skipping) onLine(tailBytes === 0 ? chunk.subarray(start, nl) : Buffer.concat([...tail, chunk.subarray(start, nl)]));
      tail = [];
      tailBytes = 0;
      skipping = false;
      start = nl + 1;
    }
    if (start < chunk.length && !skipping) {
      tailBytes += chunk.length - start;
      if (tailBytes > MAX_LINE) {
        skipping = true;
        tail = [];
        tailBytes = 0;
      } else tail.push(Buffer.from(chunk.subarray(start)));
    }
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
process.on('SIGTERM', () => process.exit(0));
