import path from 'node:path';
import { Controller, Get, Header, Inject, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { WattlineConfig } from '@wattline/config';
import { ID_PATTERN } from '@wattline/contracts';
import { DomainError, isTariffCode } from '@wattline/domain';
import { CONFIG } from '@wattline/platform';
import { dashboardPage } from './dashboard.page';
import { displayPage } from './display.page';
import { IdParamPipe } from '../dtos/id-param.pipe';
import { PricingService } from '../services/pricing.service';

/** Browser scripts served from the packages that ship them (no CDN: displays may be offline from the internet). */
const packageFile = (pkg: string, file: string) => path.join(path.dirname(require.resolve(pkg)), file);
const ASSETS: Record<string, string> = {
  'mqtt.min.js': require.resolve('mqtt/dist/mqtt.min'),
  // chart.js exports no subpaths; its UMD build sits beside the CommonJS entry.
  'chart.umd.js': packageFile('chart.js', 'chart.umd.js'),
};

/** The household display and the analysts' dashboard. */
@Controller()
export class WebController {
  constructor(
    @Inject(CONFIG) private readonly config: WattlineConfig,
    private readonly pricing: PricingService,
  ) {}

  @Get('display/:regionId')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async display(@Param('regionId', IdParamPipe) regionId: string, @Query('tariff') tariff?: string): Promise<string> {
    if (!ID_PATTERN.test(regionId)) throw new DomainError('not_found', `No region ${regionId}`);
    // `?tariff=` names a tariff other than the region's default (whose prices are on prices/{region}/…).
    if (tariff !== undefined && !isTariffCode(tariff))
      throw new DomainError('validation_failed', 'tariff: must be a tariff code (letters, digits, . _ -)', { field: 'tariff' });
    // The region's time as the platform last measured it: a replay's prices are not "expired" by this clock's.
    const clockLeadMs = await this.pricing.regionClockLead(regionId);
    return displayPage(regionId, tariff ?? null, this.config.PUBLIC_MQTT_WS_URL ?? null, this.config.MQTT_WS_PORT, clockLeadMs ?? 0);
  }

  @Get('dashboard')
  @Header('Content-Type', 'text/html; charset=utf-8')
  dashboard(): string {
    return dashboardPage();
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() res: Response): void {
    const file = ASSETS[name];
    if (!file) throw new DomainError('not_found', `No asset ${name}`);
    res.type('application/javascript').setHeader('Cache-Control', 'public, max-age=86400');
    res.sendFile(file);
  }
}
