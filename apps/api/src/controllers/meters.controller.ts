import { Controller, Inject, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CLOCK, type Clock } from '@wattline/platform';
import {
  resolveRange,
  type BillQuery,
  type BulkMetersBody,
  type ChangeTariffBody,
  type ChangeCohortBody,
  type MoveRegionBody,
  type CreateMeterBody,
  type MeterListQuery,
  type RangeQuery,
} from '../dtos/schemas';
import type { ProvisionedMeterResponse, ProvisionedMetersResponse, MeterResponse } from '../dtos/responses';
import { billView, meterTariffsView, meterView, readingView } from '../dtos/views';
import { AnalyticsService } from '../services/analytics.service';
import { BillingService } from '../services/billing.service';
import { CatalogService } from '../services/catalog.service';
import { TariffPlansService } from '../services/tariff-plans.service';
import { sendPage, sendRangePage, toCsv } from './list-response';
import { IdParamPipe } from '../dtos/id-param.pipe';
import { Route } from '../routes/route.decorator';
import { RouteBody, RouteQuery } from '../routes/route-params';
import { ROUTES } from '../routes/route-table';

@Controller()
export class MetersController {
  constructor(
    private readonly catalog: CatalogService,
    private readonly analytics: AnalyticsService,
    private readonly billing: BillingService,
    private readonly plans: TariffPlansService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Route(ROUTES.provisionMeter)
  async provision(@RouteBody() body: CreateMeterBody): Promise<ProvisionedMeterResponse> {
    const { meter, mqtt } = await this.catalog.provisionMeter(body);
    return { ...meterTariffsView({ meter, tariff: meter.tariff, plan: meter.tariff ? [{ tariff: meter.tariff, from: null }] : [] }), mqtt };
  }

  /** All or none; the credentials as JSON, or as a CSV file (one device a line) with `Accept: text/csv`. */
  @Route(ROUTES.provisionMeters)
  async provisionMany(@RouteBody() body: BulkMetersBody, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { meters } = await this.catalog.provisionMeters(body.meters);
    res.status(201);
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      res.type('text/csv').send(toCsv(meters));
      return;
    }
    const answer: ProvisionedMetersResponse = { meters };
    res.json(answer);
  }

  @Route(ROUTES.listMeters)
  async list(@RouteQuery() query: MeterListQuery, @Req() req: Request, @Res() res: Response) {
    const page = await this.catalog.listMeters(query.limit, query.cursor, query.regionId);
    sendPage(req, res, { items: page.items.map(meterView), nextCursor: page.nextCursor });
  }

  @Route(ROUTES.getMeter)
  async get(@Param('id', IdParamPipe) id: string): Promise<MeterResponse> {
    const meter = await this.catalog.getMeter(id);
    // An inverter is on its household's tariff: it has none of its own.
    return meter.kind === 'inverter' ? meterTariffsView({ meter, tariff: null, plan: [] }) : meterTariffsView(await this.plans.of(id));
  }

  @Route(ROUTES.changeTariff)
  async changeTariff(@Param('id', IdParamPipe) id: string, @RouteBody() body: ChangeTariffBody): Promise<MeterResponse> {
    return meterTariffsView(await this.plans.change(id, body.tariff, Date.parse(body.effectiveFrom)));
  }

  @Route(ROUTES.moveRegion)
  async moveRegion(@Param('id', IdParamPipe) id: string, @RouteBody() body: MoveRegionBody): Promise<MeterResponse> {
    return meterTariffsView(await this.plans.moveRegion(id, body.regionId, Date.parse(body.effectiveFrom), body.tariff));
  }

  @Route(ROUTES.changeCohort)
  async changeCohort(@Param('id', IdParamPipe) id: string, @RouteBody() body: ChangeCohortBody): Promise<MeterResponse> {
    return meterTariffsView(await this.plans.changeCohort(id, body.cohort, Date.parse(body.effectiveFrom)));
  }

  @Route(ROUTES.readings)
  async readings(@Param('id', IdParamPipe) id: string, @RouteQuery() query: RangeQuery, @Req() req: Request, @Res() res: Response) {
    await sendRangePage(req, res, query, this.clock.now(), (...range) => this.analytics.readingsOf(id, ...range), readingView);
  }

  @Route(ROUTES.bill)
  async bill(@Param('id', IdParamPipe) id: string, @RouteQuery() query: BillQuery, @Req() req: Request, @Res() res: Response) {
    const { from, to } = resolveRange(query, this.clock.now());
    const bill = await this.billing.billOf(id, from, to, query.groupBy);
    const view = billView(bill, from, to, query.groupBy);
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      res
        .type('text/csv')
        .send(toCsv((query.groupBy === 'interval' ? view.intervals : view.groups) as unknown as Record<string, unknown>[]));
      return;
    }
    res.json(view);
  }
}
