import { Controller, Inject, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '@wattline/domain';
import { CLOCK, type Clock } from '@wattline/platform';
import {
  resolveRange,
  type DeclareEventBody,
  type PutPricingBody,
  type RangeQuery,
  type ResponseQuery,
  type ScheduleUploadQuery,
  type SimulationBody,
  type TariffListQuery,
  type TariffQuery,
  type UploadPricesBody,
} from '../dtos/schemas';
import type {
  EventResponse,
  ExplanationResponse,
  PriceResponse,
  PricingVersionResponse,
  ResponseAnalysisResponse,
  SimulationResponse,
  UploadResponse,
} from '../dtos/responses';
import { eventView, explanationView, forecastView, pricingVersionView } from '../dtos/views';
import { IdParamPipe } from '../dtos/id-param.pipe';
import { PricingService } from '../services/pricing.service';
import { sendPage, sendRangePage } from './list-response';
import { Route } from '../routes/route.decorator';
import { PricesBody, RouteBody, RouteQuery } from '../routes/route-params';
import { ROUTES } from '../routes/route-table';

/** Prices ahead of the consumption: the price in force, explanations, forecasts, pricing versions, events and uploaded prices. */
@Controller()
export class PricingController {
  constructor(
    private readonly pricing: PricingService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Route(ROUTES.currentTariff)
  current(@Param('id', IdParamPipe) id: string, @RouteQuery() query: TariffQuery): Promise<PriceResponse> {
    return this.pricing.current(id, query.tariff);
  }

  @Route(ROUTES.explainTariff)
  async explain(
    @Param('id', IdParamPipe) id: string,
    @Param('intervalStart') intervalStart: string,
    @RouteQuery() query: TariffQuery,
  ): Promise<ExplanationResponse> {
    const at = Date.parse(intervalStart);
    if (Number.isNaN(at) || !/T/.test(intervalStart))
      throw new DomainError('validation_failed', 'intervalStart must be an ISO-8601 time such as 2013-12-02T17:30:00Z', {
        field: 'intervalStart',
      });
    return explanationView(await this.pricing.explain(id, query.tariff, at));
  }

  @Route(ROUTES.forecast)
  async forecast(@Param('id', IdParamPipe) id: string, @RouteQuery() query: RangeQuery, @Req() req: Request, @Res() res: Response) {
    await sendRangePage(req, res, query, this.clock.now(), (...range) => this.pricing.forecast(id, ...range), forecastView);
  }

  /** What-if: re-price a stored window under other parameters; each household's bill change; nothing published changes. */
  @Route(ROUTES.simulate)
  async simulate(@Param('id', IdParamPipe) id: string, @RouteBody() body: SimulationBody): Promise<SimulationResponse> {
    const result = await this.pricing.simulate(id, body.tariff, Date.parse(body.from), Date.parse(body.to), body.pricing);
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      regionId: id,
      from: iso(Date.parse(body.from)),
      to: iso(Date.parse(body.to)),
      pricing: body.pricing,
      skipped: result.skipped,
      intervals: result.intervals.map((i) => ({ ...i, intervalStart: iso(i.intervalStart) })),
      households: result.households,
    };
  }

  /** Did the tariff work? The treatment cohort(s) against the control cohort, per price level, with its interval. */
  @Route(ROUTES.response)
  async response(@Param('id', IdParamPipe) id: string, @RouteQuery() query: ResponseQuery): Promise<ResponseAnalysisResponse> {
    const { from, to } = resolveRange(query, this.clock.now());
    return {
      regionId: id,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      ...(await this.pricing.response(
        id,
        from,
        to,
        {
          control: query.control,
          ...(query.treatment ? { treatment: query.treatment } : {}),
          ...(query.tariff ? { tariff: query.tariff } : {}),
        },
        { replications: query.replications, seed: query.seed },
      )),
    };
  }

  @Route(ROUTES.pricingVersions)
  async versions(@Param('id', IdParamPipe) id: string, @RouteQuery() query: TariffListQuery, @Req() req: Request, @Res() res: Response) {
    const page = await this.pricing.versions(id, query.tariff, query.limit, query.cursor);
    sendPage(req, res, { items: page.items.map(pricingVersionView), nextCursor: page.nextCursor });
  }

  @Route(ROUTES.changePricing)
  async changePricing(@Param('id', IdParamPipe) id: string, @RouteBody() body: PutPricingBody): Promise<PricingVersionResponse> {
    return pricingVersionView(await this.pricing.changePricing(id, body.tariff, body.pricing, Date.parse(body.effectiveFrom)));
  }

  @Route(ROUTES.declareEvent)
  async declareEvent(@Param('id', IdParamPipe) id: string, @RouteBody() body: DeclareEventBody): Promise<EventResponse> {
    return eventView(await this.pricing.declareEvent(id, body));
  }

  @Route(ROUTES.events)
  async events(@Param('id', IdParamPipe) id: string, @RouteQuery() query: RangeQuery, @Req() req: Request, @Res() res: Response) {
    await sendRangePage(
      req,
      res,
      { ...query, from: query.from ?? '1970-01-01T00:00:00Z', to: query.to ?? '9999-01-01T00:00:00Z' },
      this.clock.now(),
      (...range) => this.pricing.events(id, ...range),
      eventView,
    );
  }

  /** A wholesale price series for wholesale-indexed pricing: JSON `{prices:[…]}`, or text/csv with the columns named in the query. */
  @Route(ROUTES.uploadWholesale)
  upload(@Param('id', IdParamPipe) id: string, @PricesBody() body: UploadPricesBody): Promise<UploadResponse> {
    return this.pricing.upload('wholesale', id, body);
  }

  /** A published schedule applied as it is (the `schedule` model): JSON `{prices:[{intervalStart,price,band}]}`, or text/csv. */
  @Route(ROUTES.uploadSchedule)
  schedule(
    @Param('id', IdParamPipe) id: string,
    @PricesBody() body: UploadPricesBody,
    @RouteQuery() query: ScheduleUploadQuery,
  ): Promise<UploadResponse> {
    return this.pricing.upload('scheduled', id, body, query.tariff);
  }
}
