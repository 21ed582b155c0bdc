// A free port on 127.0.0.1 for a service that must be told its port before it starts. The
// kernel picks it (port 0) and we release it at once; another process taking it in between is
// possible but rare, and then the target fails to start with a clear "address in use".
import net from 'node:net';

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
