'use strict';
// Benchmark pool: answers subscribe/authorize/submit at once; in `throughput` mode it also
// floods mining.notify lines to every miner (respecting backpressure). Prints {"port":N}.
const net = require('node:net');
const { lineReader } = require('./line-reader');
const { notifyLine, subscribeAnswer, answerLine } = require('./fixtures');

const mode = process.argv[2] || 'latency';
const NOTIFY = Buffer.from(notifyLine());
const ID_RE = /"id":\s*("[^"]*"|-?\d+|null)/;

const server = net.createServer({ noDelay: true }, (sock) => {
  sock.setNoDelay(true);
  sock.on('error', () => {});
  let flooding = false;
  const flood = () => {
    while (flooding && !sock.destroyed) {
      if (!sock.write(NOTIFY)) {
        sock.once('drain', flood);
        return;
      }
    }
  };
  sock.on(
    'data',
    lineReader((line) => {
      const s = line.toString('latin1');
      const id = (ID_RE.exec(s) || [])[1] || 'null';
      if (s.includes('"mining.submit"')) {
        sock.write(answerLine(id));
      } else if (s.includes('"mining.subscribe"')) {
        sock.write(subscribeAnswer(JSON.parse(id)));
      } else if (s.includes('"mining.authorize"')) {
        sock.write(answerLine(id) + '{"id":null,"method":"mining.set_difficulty","params":[0.001]}\n' + notifyLine(undefined, true));
        if (mode === 'throughput' && !flooding) {
          flooding = true;
          setImmediate(flood);
        }
      }
    }),
  );
  sock.on('close', () => {
    flooding = false;
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
