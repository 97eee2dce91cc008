import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE, Metrics } from '@wattline/platform';
import { STREAM, type StreamPort } from '@wattline/stream';

@Controller()
export class HealthController {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(STREAM) private readonly stream: StreamPort,
    private readonly metrics: Metrics,
  ) {}

  /** Readiness of every dependency; 503 when one is down. */
  @Get('health')
  async health(@Res() res: Response) {
    const database = await this.dataSource.query('SELECT 1').then(() => true, () => false);
    const stream = await this.stream.healthy();
    const ok = database && stream;
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'degraded',
      checks: { database: database ? 'up' : 'down', stream: { kind: this.stream.kind, status: stream ? 'up' : 'down' } },
    });
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
