import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CLOCK, type Clock } from '@wattline/platform';
import { RequireRole } from '../auth/api-key.guard';
import { billQuerySchema, createMeterSchema, meterListQuerySchema, rangeQuerySchema, resolveRange, type BillQuery, type CreateMeterBody, type MeterListQuery, type RangeQuery } from '../dtos/schemas';
import type { ProvisionedMeterResponse, MeterResponse } from '../dtos/responses';
import { billView, meterView, readingView } from '../dtos/views';
import { AnalyticsService } from '../services/analytics.service';
import { CatalogService } from '../services/catalog.service';
import { sendPage, sendRangePage, toCsv } from './list-response';
import { IdParamPipe } from '../dtos/id-param.pipe';

@Controller('v1/meters')
export class MetersController {
  constructor(
    private readonly catalog: CatalogService,
    private readonly analytics: AnalyticsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @RequireRole('admin')
  async provision(@Body({ schema: createMeterSchema }) body: CreateMeterBody): Promise<ProvisionedMeterResponse> {
    const { meter, mqtt } = await this.catalog.provisionMeter(body);
    return { ...meterView(meter), mqtt };
  }

  @Get()
  @RequireRole('analyst')
  async list(@Query({ schema: meterListQuerySchema }) query: MeterListQuery, @Req() req: Request, @Res() res: Response) {
    const page = await this.catalog.listMeters(query.limit, query.cursor, query.regionId);
    sendPage(req, res, { items: page.items.map(meterView), nextCursor: page.nextCursor });
  }

  @Get(':id')
  @RequireRole('analyst')
  async get(@Param('id', IdParamPipe) id: string): Promise<MeterResponse> {
    return meterView(await this.catalog.getMeter(id));
  }

  @Get(':id/readings')
  @RequireRole('analyst')
  async readings(@Param('id', IdParamPipe) id: string, @Query({ schema: rangeQuerySchema }) query: RangeQuery, @Req() req: Request, @Res() res: Response) {
    await sendRangePage(req, res, query, this.clock.now(), (...range) => this.analytics.readingsOf(id, ...range), readingView);
  }

  @Get(':id/bill')
  @RequireRole('analyst')
  async bill(@Param('id', IdParamPipe) id: string, @Query({ schema: billQuerySchema }) query: BillQuery, @Req() req: Request, @Res() res: Response) {
    const { from, to } = resolveRange(query, this.clock.now());
    const bill = await this.analytics.billOf(id, from, to, query.groupBy);
    const view = billView(bill, from, to, query.groupBy);
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      res.type('text/csv').send(toCsv((query.groupBy === 'interval' ? view.intervals : view.groups) as unknown as Record<string, unknown>[]));
      return;
    }
    res.json(view);
  }
}
