'use strict';
// Benchmark pool, in its own process: `bench-pool.js <latency|throughput> [merkle depth]`.
// Prints {"port":N}.
// - latency mode: answers subscribe/authorize/submit at once, echoing each request's id.
// - throughput mode: answers every submit line with {"id":4,...} and sends a new mining.notify
//   after every NOTIFY_EVERY answers (a busy farm's mix: shares and answers, now and then a job).
//   The miners reuse id 4 for every submit, as cpuminer does, so the pool can count lines instead
//   of parsing them and the proxy's collector still matches every answer to its submit (FIFO per id).
const net = require('node:net');
const { lineReader } = require('./line-reader');
const { notifyLine, subscribeAnswer, answerLine, merkleDepth } = require('./fixtures');

const mode = process.argv[2] || 'latency';
const DEPTH = merkleDepth(process.argv[3]);
const NOTIFY = Buffer.from(notifyLine(undefined, false, DEPTH));
const ANSWER_4 = answerLine(4);
const ANSWERS_4 = Array.from({ length: 65 }, (_, n) => Buffer.from(ANSWER_4.repeat(n)));
const ID_RE = /"id":\s*("[^"]*"|-?\d+|null)/;
const NOTIFY_EVERY = 20;

function countNewlines(buf) {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}

const server = net.createServer({ noDelay: true }, (sock) => {
  sock.setNoDelay(true);
  sock.on('error', () => {});
  const handshake = lineReader((line) => {
    const s = line.toString('latin1');
    const id = (ID_RE.exec(s) || [])[1] || 'null';
    if (s.includes('"mining.submit"')) {
      sock.write(answerLine(id));
    } else if (s.includes('"mining.subscribe"')) {
      sock.write(subscribeAnswer(JSON.parse(id)));
    } else if (s.includes('"mining.authorize"')) {
      sock.write(answerLine(id) + '{"id":null,"method":"mining.set_difficulty","params":[0.001]}\n' + notifyLine(undefined, true, DEPTH));
      if (mode === 'throughput') {
        sock.removeListener('data', handshake);
        sock.on('data', answerEverySubmit);
      }
    }
  });
  // After the handshake every line from the miner is a submit with id 4.
  let untilNotify = NOTIFY_EVERY;
  const answerEverySubmit = (chunk) => {
    let n = countNewlines(chunk);
    while (n > 0) {
      const k = Math.min(n, untilNotify, 64);
      sock.write(ANSWERS_4[k]);
      n -= k;
      untilNotify -= k;
      if (untilNotify === 0) {
        sock.write(NOTIFY);
        untilNotify = NOTIFY_EVERY;
      }
    }
  };
  sock.on('data', handshake);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
