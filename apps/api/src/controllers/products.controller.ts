import { Controller, Header, Inject, Param, Req, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { publicBaseUrl, type WattlineConfig } from '@wattline/config';
import { CONFIG } from '@wattline/platform';
import type { Request } from 'express';
import { type OctopusRatesQuery, type PriceFeedQuery } from '../dtos/schemas';
import { IdParamPipe } from '../dtos/id-param.pipe';
import type { OctopusRatesResponse, PriceFeedResponse } from '../dtos/responses';
import { octopusRateView } from '../dtos/views';
import { AnalyticsService } from '../services/analytics.service';
import { PricingService } from '../services/pricing.service';
import { Route } from '../routes/route.decorator';
import { RouteQuery } from '../routes/route-params';
import { ROUTES } from '../routes/route-table';

const ALL_TIME = { from: 0, to: Date.UTC(9999, 0, 1) };

/**
 * A region's prices in the shape of Octopus Energy's public API, so tools that already read
 * Octopus (Home Assistant integrations, evcc) read Wattline unchanged: public (like Octopus's),
 * `{count,next,previous,results}`, newest first, absolute `next`/`previous` URLs. The product
 * code is the region and the tariff code one of its tariffs (a code it does not offer: 404).
 */
// Public and keyless, like Octopus's: rate limited per address (429 + Retry-After), cacheable for a minute (ETag: Express's).
@Controller()
@UseGuards(ThrottlerGuard)
export class ProductsController {
  constructor(
    private readonly analytics: AnalyticsService,
    private readonly pricing: PricingService,
    @Inject(CONFIG) private readonly config: WattlineConfig,
  ) {}

  /** The announced prices as a plain array (evcc's custom tariff `forecast: source: http`), public like the rates. */
  @Route(ROUTES.priceFeed)
  @Header('Cache-Control', 'public, max-age=60')
  priceFeed(@Param('id', IdParamPipe) regionId: string, @RouteQuery() query: PriceFeedQuery): Promise<PriceFeedResponse> {
    return this.pricing.priceFeed(regionId, query.tariff, query.kind);
  }

  @Route(ROUTES.octopusRates)
  @Header('Cache-Control', 'public, max-age=60')
  async standardUnitRates(
    @Param('regionId', IdParamPipe) regionId: string,
    @Param('code', IdParamPipe) code: string,
    @RouteQuery() query: OctopusRatesQuery,
    @Req() req: Request,
  ): Promise<OctopusRatesResponse> {
    const from = query.period_from ? Date.parse(query.period_from) : ALL_TIME.from;
    const to = query.period_to ? Date.parse(query.period_to) : ALL_TIME.to;
    const { count, tariffs } = await this.analytics.ratesNewestFirst(regionId, code, from, to, query.page_size, query.page);
    const pageUrl = (page: number) => {
      // From the configured base, never from the Host header a client sends (a forged one would point the links anywhere).
      const url = new URL(`${publicBaseUrl(this.config)}${req.originalUrl}`);
      url.searchParams.set('page', String(page));
      return url.toString();
    };
    const last = Math.max(1, Math.ceil(count / query.page_size));
    return {
      count,
      next: query.page < last ? pageUrl(query.page + 1) : null,
      previous: query.page > 1 ? pageUrl(Math.min(query.page - 1, last)) : null,
      results: tariffs.map(octopusRateView),
    };
  }
}
