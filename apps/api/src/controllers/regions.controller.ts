import { Body, Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CLOCK, type Clock } from '@wattline/platform';
import { RequireRole } from '../auth/api-key.guard';
import {
  createRegionSchema,
  listQuerySchema,
  rangeQuerySchema,
  type CreateRegionBody,
  type ListQuery,
  type RangeQuery,
} from '../dtos/schemas';
import type { RegionResponse } from '../dtos/responses';
import { aggregateView, householdBillView, regionView, revisionView, tariffView } from '../dtos/views';
import { AnalyticsService } from '../services/analytics.service';
import { CatalogService } from '../services/catalog.service';
import { sendPage, sendRangePage } from './list-response';
import { IdParamPipe } from '../dtos/id-param.pipe';

@Controller('v1/regions')
export class RegionsController {
  constructor(
    private readonly catalog: CatalogService,
    private readonly analytics: AnalyticsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @RequireRole('admin')
  async create(@Body({ schema: createRegionSchema }) body: CreateRegionBody): Promise<RegionResponse> {
    return regionView(await this.catalog.createRegion(body));
  }

  @Get()
  @RequireRole('analyst')
  async list(@Query({ schema: listQuerySchema }) query: ListQuery, @Req() req: Request, @Res() res: Response) {
    const page = await this.catalog.listRegions(query.limit, query.cursor);
    sendPage(req, res, { items: page.items.map(regionView), nextCursor: page.nextCursor });
  }

  @Get(':id')
  @RequireRole('analyst')
  async get(@Param('id', IdParamPipe) id: string): Promise<RegionResponse> {
    return regionView(await this.catalog.getRegion(id));
  }

  @Get(':id/tariffs')
  @RequireRole('analyst')
  async tariffs(@Param('id', IdParamPipe) id: string, @Query({ schema: rangeQuerySchema }) query: RangeQuery, @Req() req: Request, @Res() res: Response) {
    await sendRangePage(req, res, query, this.clock.now(), (...range) => this.analytics.tariffsOf(id, ...range), tariffView);
  }

  @Get(':id/revisions')
  @RequireRole('analyst')
  async revisions(@Param('id', IdParamPipe) id: string, @Query({ schema: rangeQuerySchema }) query: RangeQuery, @Req() req: Request, @Res() res: Response) {
    await sendRangePage(req, res, query, this.clock.now(), (...range) => this.analytics.revisionsOf(id, ...range), revisionView);
  }

  /** Every household's bill over a window, a page of meters at a time: what the dashboard sums against the shadow bill. */
  @Get(':id/bills')
  @RequireRole('analyst')
  async bills(@Param('id', IdParamPipe) id: string, @Query({ schema: rangeQuerySchema }) query: RangeQuery, @Req() req: Request, @Res() res: Response) {
    await sendRangePage(req, res, query, this.clock.now(), (...range) => this.analytics.regionBills(id, ...range), householdBillView);
  }

  @Get(':id/aggregates')
  @RequireRole('analyst')
  async aggregates(@Param('id', IdParamPipe) id: string, @Query({ schema: rangeQuerySchema }) query: RangeQuery, @Req() req: Request, @Res() res: Response) {
    await sendRangePage(req, res, query, this.clock.now(), (...range) => this.analytics.aggregatesOf(id, ...range), aggregateView);
  }
}
