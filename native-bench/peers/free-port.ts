// A TCP port on 127.0.0.1 that nothing listens on, for a peer server started by the benchmark.
// The port is found by binding port 0 and closing; a race with another process taking it in
// between is possible but rare, and shows as a server that fails to start (reported, not hidden).
import net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
