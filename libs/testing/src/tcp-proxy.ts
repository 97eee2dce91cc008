import net from 'node:net';
import { freePort } from './services';

/**
 * A TCP proxy in front of a real service (PostgreSQL, say) that a test can cut off: `pause()`
 * destroys every connection through it and refuses new ones, as a network partition or a
 * restarting server would; `resume()` lets connections through again.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<{
  port: number;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let paused = false;
  const server = net.createServer((client) => {
    if (paused) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    pause: () => {
      paused = true;
      for (const socket of sockets) socket.destroy();
    },
    resume: () => {
      paused = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
