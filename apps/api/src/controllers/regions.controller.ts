import type { KeyedRequest } from '../auth/api-key.guard';
import { Controller, Inject, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CLOCK, type Clock } from '@wattline/platform';
import { type CreateRegionBody, type ListQuery, type RangeQuery, type TariffRangeQuery } from '../dtos/schemas';
import type { RegionResponse } from '../dtos/responses';
import { aggregateView, householdBillView, regionView, revisionView, tariffView } from '../dtos/views';
import { AnalyticsService } from '../services/analytics.service';
import { BillingService } from '../services/billing.service';
import { CatalogService } from '../services/catalog.service';
import { sendPage, sendRangePage } from './list-response';
import { IdParamPipe } from '../dtos/id-param.pipe';
import { Route } from '../routes/route.decorator';
import { RouteBody, RouteQuery } from '../routes/route-params';
import { ROUTES } from '../routes/route-table';

@Controller()
export class RegionsController {
  constructor(
    private readonly catalog: CatalogService,
    private readonly analytics: AnalyticsService,
    private readonly billing: BillingService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Route(ROUTES.createRegion)
  async create(@RouteBody() body: CreateRegionBody): Promise<RegionResponse> {
    const region = await this.catalog.createRegion(body);
    return regionView(region, [region.defaultTariff]);
  }

  @Route(ROUTES.listRegions)
  async list(@RouteQuery() query: ListQuery, @Req() req: KeyedRequest, @Res() res: Response) {
    const page = await this.catalog.listRegions(query.limit, query.cursor);
    // A key scoped to regions lists only them (the page's cursor stays the whole list's).
    const scope = req.apiKey?.regions ?? null;
    const items = scope === null ? page.items : page.items.filter((r) => scope.includes(r.id));
    sendPage(req, res, { items: items.map((r) => regionView(r)), nextCursor: page.nextCursor });
  }

  @Route(ROUTES.getRegion)
  async get(@Param('id', IdParamPipe) id: string): Promise<RegionResponse> {
    const [region, tariffs] = await Promise.all([this.catalog.getRegion(id), this.catalog.offeredTariffs(id)]);
    return regionView(region, tariffs);
  }

  @Route(ROUTES.tariffs)
  async tariffs(@Param('id', IdParamPipe) id: string, @RouteQuery() query: TariffRangeQuery, @Req() req: Request, @Res() res: Response) {
    await sendRangePage(req, res, query, this.clock.now(), (...range) => this.analytics.tariffsOf(id, query.tariff, ...range), tariffView);
  }

  @Route(ROUTES.revisions)
  async revisions(@Param('id', IdParamPipe) id: string, @RouteQuery() query: RangeQuery, @Req() req: Request, @Res() res: Response) {
    await sendRangePage(req, res, query, this.clock.now(), (...range) => this.analytics.revisionsOf(id, ...range), revisionView);
  }

  /** Every household's bill over a window, a page of meters at a time: what the dashboard sums against the shadow bill. */
  @Route(ROUTES.regionBills)
  async bills(@Param('id', IdParamPipe) id: string, @RouteQuery() query: RangeQuery, @Req() req: Request, @Res() res: Response) {
    await sendRangePage(req, res, query, this.clock.now(), (...range) => this.billing.regionBills(id, ...range), householdBillView);
  }

  @Route(ROUTES.aggregates)
  async aggregates(@Param('id', IdParamPipe) id: string, @RouteQuery() query: RangeQuery, @Req() req: Request, @Res() res: Response) {
    await sendRangePage(req, res, query, this.clock.now(), (...range) => this.analytics.aggregatesOf(id, ...range), aggregateView);
  }
}
