import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '@wattline/config';
import { HEALTH, Metrics, PlatformModule, exitOnFailure, listenHttp, runApp, type HealthRegistry } from '@wattline/platform';
import { BrokerModule } from './broker.module';
import { isClusterPrimary, isClusterWorker, runClusterPrimary, serveClusterWorker } from './cluster/broker-cluster';

/**
 * The broker alone, for a scaled-out deployment (several behind a TCP load balancer), or, with
 * MQTT_WORKERS > 1, several processes on one machine sharing its listeners (one per core).
 */
function primaryConfig() {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

const config = primaryConfig();
if (isClusterPrimary(config)) {
  runClusterPrimary(config, (line) => process.stdout.write(`${line}\n`));
} else {
  exitOnFailure(
    runApp('broker', { migrate: false }, async (infra) => {
      @Module({ imports: [PlatformModule.forRoot(infra), BrokerModule] })
      class BrokerAppModule {}
      const app = await NestFactory.create(BrokerAppModule, { forceCloseConnections: true });
      if (isClusterWorker()) {
        // A worker serves no HTTP of its own: the primary answers /health and /metrics for all.
        await app.init();
        serveClusterWorker(app.get(Metrics), app.get<HealthRegistry>(HEALTH));
        return app;
      }
      // /health and /metrics on HTTP_PORT, so each instance of a scaled-out deployment can be probed.
      await listenHttp(app, infra.config);
      return app;
    }),
  );
}
