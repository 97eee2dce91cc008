import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { CLOCK, type Clock } from '@wattline/platform';
import { RequireRole } from '../auth/api-key.guard';
import { createMeterSchema, listQuerySchema, rangeQuerySchema, resolveRange, type CreateMeterBody, type RangeQuery } from '../dtos/schemas';
import { meterView, readingView } from '../dtos/views';
import { AnalyticsService } from '../services/analytics.service';
import { CatalogService } from '../services/catalog.service';
import { sendPage, sendRangePage } from './list-response';
import { IdParamPipe } from '../dtos/id-param.pipe';

const meterListSchema = listQuerySchema.extend({ regionId: z.string().max(64).optional() });

@Controller('v1/meters')
export class MetersController {
  constructor(
    private readonly catalog: CatalogService,
    private readonly analytics: AnalyticsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @RequireRole('admin')
  async provision(@Body({ schema: createMeterSchema }) body: CreateMeterBody) {
    const { meter, mqtt } = await this.catalog.provisionMeter(body);
    return { ...meterView(meter), mqtt };
  }

  @Get()
  @RequireRole('analyst')
  async list(@Query({ schema: meterListSchema }) query: z.output<typeof meterListSchema>, @Req() req: Request, @Res() res: Response) {
    const page = await this.catalog.listMeters(query.limit, query.cursor, query.regionId);
    sendPage(req, res, { items: page.items.map(meterView), nextCursor: page.nextCursor });
  }

  @Get(':id')
  @RequireRole('analyst')
  async get(@Param('id', IdParamPipe) id: string) {
    return meterView(await this.catalog.getMeter(id));
  }

  @Get(':id/readings')
  @RequireRole('analyst')
  async readings(@Param('id', IdParamPipe) id: string, @Query({ schema: rangeQuerySchema }) query: RangeQuery, @Req() req: Request, @Res() res: Response) {
    await sendRangePage(req, res, query, this.clock.now(), (...range) => this.analytics.readingsOf(id, ...range), readingView);
  }

  @Get(':id/bill')
  @RequireRole('analyst')
  async bill(@Param('id', IdParamPipe) id: string, @Query({ schema: rangeQuerySchema }) query: RangeQuery) {
    const { from, to } = resolveRange(query, this.clock.now());
    const bill = await this.analytics.billOf(id, from, to);
    return {
      meterId: bill.meterId,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      currency: bill.currency,
      consumptionWh: bill.consumptionWh,
      generationWh: bill.generationWh,
      cost: bill.cost,
      unpricedWh: bill.unpricedWh,
      intervals: bill.lines.map((l) => ({ ...l, intervalStart: new Date(l.intervalStart).toISOString(), intervalEnd: new Date(l.intervalEnd).toISOString() })),
    };
  }
}
