// Child process of test/support/tcp-proxy.ts: a TCP proxy on 127.0.0.1 that a test can
// blackhole, standing in for a network partition (no network namespaces here). It prints
// {"port":<port>} once listening, then takes one command per stdin line:
//
//   block  stop forwarding: bytes both ways are dropped, connections stay open and silent
//          (as behind a partition: no reset, peers notice only by their timeouts), and new
//          connections are accepted and left silent too
//   heal   close every blackholed connection (their peers reconnect) and forward again
//
// Each command is acknowledged with {"done":"block"|"heal"}. argv[2] is the target 'host:port'.
import net from 'node:net';
import readline from 'node:readline';

const [targetHost, targetPort] = (() => {
  const target = process.argv[2] ?? '';
  const colon = target.lastIndexOf(':');
  return [target.slice(0, colon), Number(target.slice(colon + 1))] as const;
})();
let blocked = false;
const sockets = new Set<net.Socket>();

function track(socket: net.Socket): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => undefined); // Its close follows.
}

const server = net.createServer((client) => {
  track(client);
  if (blocked) {
    client.on('data', () => undefined);
    return;
  }
  const upstream = net.connect(targetPort, targetHost);
  track(upstream);
  client.on('data', (chunk) => {
    if (!blocked) upstream.write(chunk);
  });
  upstream.on('data', (chunk) => {
    if (!blocked) client.write(chunk);
  });
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => {
    // A blackholed connection stays silent rather than closing (its peer must time out).
    if (!blocked) client.destroy();
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as net.AddressInfo).port })}\n`);
});

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.trim();
  if (command === 'block') blocked = true;
  else if (command === 'heal') {
    blocked = false;
    for (const socket of sockets) socket.destroy();
  } else return;
  process.stdout.write(`${JSON.stringify({ done: command })}\n`);
});
process.stdin.on('end', () => process.exit(0));
