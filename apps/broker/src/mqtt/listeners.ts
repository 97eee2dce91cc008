import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Aedes } from 'aedes';
import type { WattlineConfig } from '@wattline/config';
import { guardPacketSize } from './packet-size-guard';

export interface Listeners {
  /**
   * Stops accepting connections at once; resolves when every listener has closed, i.e. once
   * the connections still open have ended (aedes.close ends them). `net.Server.close` waits
   * for live sockets, so awaiting it before closing the clients would hang for as long as
   * devices stay connected.
   */
  stopAccepting(): Promise<void>;
}

/**
 * The accept queue a listener asks for; the kernel caps it at net.core.somaxconn (4096 here).
 * Node's default is 511: when a district reconnects at once, the queue overflows while the
 * event loop is busy with handshakes, the kernel drops the SYNs, and the devices retransmit
 * after 1, 3, 7, 15 s (measured: p99 9.5 s, max 27 s for 10,000 CONNECTs, the broker idle half
 * the time). Mosquitto asks for the same through listen(2).
 */
const LISTEN_BACKLOG = 4096;

function listen(server: NetServer | HttpServer | TlsServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

const closeServer = (server: NetServer | HttpServer | TlsServer) => new Promise<void>((resolve) => server.close(() => resolve()));

/** MQTT over TCP, over WebSocket (path /mqtt) and, when configured, over TLS. */
export async function startListeners(aedes: Aedes, config: WattlineConfig, onOversize: (announced: number) => void): Promise<Listeners> {
  const servers: (NetServer | HttpServer | TlsServer)[] = [];
  // Nagle off: a PUBACK is a few bytes that should not wait for the next one.
  const tcp = createNetServer({ noDelay: true }, (socket) => {
    guardPacketSize(socket, config.MQTT_MAX_PACKET_BYTES, onOversize);
    aedes.handle(socket);
  });
  await listen(tcp, config.MQTT_PORT, config.MQTT_HOST);
  servers.push(tcp);

  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect to /mqtt\n');
  });
  // ws closes a connection whose frame exceeds maxPayload (1009) before buffering it.
  const wss = new WebSocketServer({ server: http, path: '/mqtt', maxPayload: config.MQTT_MAX_PACKET_BYTES + 5 });
  wss.on('connection', (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', () => ws.terminate());
    // ws bounds one frame; an MQTT packet announced across many small frames is bounded here.
    guardPacketSize(stream, config.MQTT_MAX_PACKET_BYTES, onOversize);
    aedes.handle(stream as never, req as never);
  });
  await listen(http, config.MQTT_WS_PORT, config.MQTT_HOST);
  servers.push(http);

  if (config.MQTT_TLS_PORT !== undefined && config.TLS_CERT && config.TLS_KEY) {
    const tls = createTlsServer(
      {
        cert: readFileSync(config.TLS_CERT),
        key: readFileSync(config.TLS_KEY),
        // Client certificates are asked for, not required: a device without one may still log in
        // with a password; one with a certificate the CA did not sign is simply not `authorized`.
        ...(config.TLS_CA ? { ca: readFileSync(config.TLS_CA), requestCert: true, rejectUnauthorized: false } : {}),
      },
      (socket) => {
        guardPacketSize(socket, config.MQTT_MAX_PACKET_BYTES, onOversize);
        aedes.handle(socket);
      },
    );
    await listen(tls, config.MQTT_TLS_PORT, config.MQTT_HOST);
    servers.push(tls);
  }

  return {
    stopAccepting: async () => {
      const closed = Promise.all(servers.map(closeServer));
      wss.close();
      for (const client of wss.clients) client.terminate();
      await closed;
    },
  };
}
