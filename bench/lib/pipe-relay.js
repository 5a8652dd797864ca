'use strict';
// The baseline: the barest correct TCP relay Node can do, socket.pipe both ways.
const net = require('node:net');
const [host, port] = process.argv[2].split(':');
const server = net.createServer({ noDelay: true }, (client) => {
  const upstream = net.connect({ host, port: Number(port), noDelay: true });
  client.setNoDelay(true);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
