import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';

/**
 * How long an idle keep-alive connection stays open. Node closes one after 5 s by default
 * (`http.Server.keepAliveTimeout`); a client or load balancer that reuses it at that moment
 * gets ECONNRESET on a request it never saw answered. Proxies keep idle upstream connections
 * for about 60 s (AWS ALB's idle timeout, nginx's `keepalive_timeout`), so the server keeps
 * them a little longer than they do, and it is always the client that closes first.
 * `headersTimeout` must exceed it (nodejs/node#27363).
 */
export const HTTP_KEEP_ALIVE_MS = 65_000;

/** Listens on the configured HTTP host and port with the keep-alive a proxy in front expects. */
export async function listenHttp(app: INestApplication, config: Pick<WattlineConfig, 'HTTP_PORT' | 'HTTP_HOST'>): Promise<Server> {
  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = HTTP_KEEP_ALIVE_MS;
  server.headersTimeout = HTTP_KEEP_ALIVE_MS + 1000;
  return server;
}
