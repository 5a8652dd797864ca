'use strict';
// One abusive miner, in its own process: `node abuser.js <mode> <proxyPort>`. Prints
// {"ready":true} once it started abusing and {"bytes":N} when it stops (SIGTERM).
// - bigline: subscribes, then sends one line of 100 MB (or until stopped) without a newline.
// - flood:   subscribes and authorizes, then sends 10,000 submit lines per second.
// - stall:   its pool session stops reading after the handshake; it keeps sending submits as fast
//            as the proxy takes them (the proxy must stop reading from it, not buffer).
const net = require('node:net');
const { submitLine } = require('./fixtures');

const [mode, port] = [process.argv[2], Number(process.argv[3])];
const sock = net.connect({ host: '127.0.0.1', port }, start);
sock.on('error', () => {});
let bytes = 0;
const CHUNK = Buffer.alloc(64 * 1024, 0x61); // 'a'

function write(buf) {
  bytes += buf.length;
  return sock.write(buf);
}

function start() {
  const agent = mode === 'stall' ? 'stall' : 'abuser';
  write(`{"id":1,"method":"mining.subscribe","params":["${agent}"]}\n{"id":2,"method":"mining.authorize","params":["abuser.1","x"]}\n`);
  process.stdout.write(JSON.stringify({ ready: true }) + '\n');
  if (mode === 'bigline') {
    write(Buffer.from('{"id":3,"method":"mining.submit","params":["'));
    let left = 100 * 1024 * 1024;
    const pump = () => {
      while (left > 0) {
        left -= CHUNK.length;
        if (!write(CHUNK)) return void sock.once('drain', pump);
      }
    };
    pump();
  } else if (mode === 'flood') {
    let n = 0;
    setInterval(() => {
      let batch = '';
      for (let i = 0; i < 100; i++) batch += submitLine(4, 'abuser.1', n++);
      write(batch);
    }, 10);
  } else if (mode === 'stall') {
    let n = 0;
    const pump = () => {
      for (;;) {
        let batch = '';
        for (let i = 0; i < 100; i++) batch += submitLine(4, 'abuser.1', n++);
        if (!write(batch)) return void sock.once('drain', pump);
      }
    };
    pump();
  }
}

process.on('SIGTERM', () => {
  process.stdout.write(JSON.stringify({ bytes }) + '\n');
  process.exit(0);
});
