import { readFileSync } from 'node:fs';
import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request } from 'express';
import { openAdrDocumentPath } from '@wattline/contracts';
import { DomainError } from '@wattline/domain';
import { VtnObjectsService } from './vtn-objects.service';
import { VtnService, type Paging, type VtnClient } from './vtn.service';

/** A query's `skip`/`limit` as the document has them (limit at most 50), and `targets` (repeated or comma-separated). */
function paging(query: Record<string, unknown>): Paging {
  const int = (name: string, fallback: number, max?: number) => {
    const raw = query[name];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || (max !== undefined && Number(raw) > max))
      throw new DomainError('validation_failed', `${name}: must be a whole number${max === undefined ? '' : ` from 0 to ${max}`}`, {
        field: name,
      });
    return Number(raw);
  };
  return { skip: int('skip', 0), limit: int('limit', 50, 50), targets: list(query, 'targets') };
}

/** A repeated or comma-separated query parameter. */
function list(query: Record<string, unknown>, name: string): string[] {
  const raw = query[name];
  return (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((t) => String(t).split(',')).filter(Boolean);
}

/** A single-valued query parameter, or undefined. */
function one(query: Record<string, unknown>, name: string): string | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new DomainError('validation_failed', `${name}: give it once`, { field: name });
  return raw;
}

/**
 * The VTN's REST API (OpenADR 3.1.1, its document at libs/contracts/openadr3/openadr3.yaml, served
 * at /openadr/3/openapi.yaml): auth, programs, events, notifiers and their MQTT topics. Every
 * operation but /auth/* needs `Authorization: Bearer <token>` (from /auth/token, or a Wattline API
 * key for business logic). Errors are the document's `problem`, as application/json.
 */
@Controller('openadr/3')
export class VtnController {
  /** The OpenADR Alliance's document, served as it is. */
  private readonly document = readFileSync(openAdrDocumentPath(), 'utf8');

  constructor(
    private readonly vtn: VtnService,
    private readonly objects: VtnObjectsService,
  ) {}

  @Get('openapi.yaml')
  @Header('Content-Type', 'application/yaml; charset=utf-8')
  openapi(): string {
    return this.document;
  }

  private client(req: Request): Promise<VtnClient> {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) throw new DomainError('unauthorized', 'Send "Authorization: Bearer <access token>" (POST /openadr/3/auth/token)');
    return this.vtn.clientOf(match[1]);
  }

  @Get('auth/server')
  authServer() {
    return { tokenURL: this.vtn.tokenUrl };
  }

  /** Unauthenticated: a window a minute per address, as the API's other public endpoints (PUBLIC_RATE_LIMIT_PER_MINUTE). */
  @Post('auth/token')
  @UseGuards(ThrottlerGuard)
  @HttpCode(200)
  token(@Body() form: Record<string, unknown> | undefined) {
    return this.vtn.token(form ?? {});
  }

  @Get('programs')
  async programs(@Req() req: Request, @Query() query: Record<string, unknown>) {
    return this.vtn.programs(await this.client(req), paging(query));
  }

  @Get('programs/:programID')
  async program(@Req() req: Request, @Param('programID') id: string) {
    return this.vtn.program(await this.client(req), id);
  }

  @Get('events')
  async events(@Req() req: Request, @Query() query: Record<string, unknown>) {
    const active = query.active;
    if (active !== undefined && active !== 'true' && active !== 'false')
      throw new DomainError('validation_failed', 'active: must be true or false', { field: 'active' });
    const programId = typeof query.programID === 'string' ? query.programID : undefined;
    return this.vtn.events(await this.client(req), { ...paging(query), programId, active: active === 'true' });
  }

  @Get('events/:eventID')
  async event(@Req() req: Request, @Param('eventID') id: string) {
    return this.vtn.event(await this.client(req), id);
  }

  @Get('notifiers')
  async notifiers(@Req() req: Request) {
    await this.client(req);
    return this.vtn.notifiers();
  }

  @Get('notifiers/mqtt/topics/programs')
  async programsTopics(@Req() req: Request) {
    return this.vtn.allTopics(await this.client(req), 'programs');
  }

  @Get('notifiers/mqtt/topics/programs/:programID')
  async programTopics(@Req() req: Request, @Param('programID') id: string) {
    return this.vtn.programTopics(await this.client(req), id, 'program');
  }

  @Get('notifiers/mqtt/topics/events')
  async eventsTopics(@Req() req: Request) {
    return this.vtn.allTopics(await this.client(req), 'events');
  }

  @Get('notifiers/mqtt/topics/programs/:programID/events')
  async programEventsTopics(@Req() req: Request, @Param('programID') id: string) {
    return this.vtn.programTopics(await this.client(req), id, 'events');
  }

  @Get('notifiers/mqtt/topics/vens/:venID/events')
  async venEventsTopics(@Req() req: Request, @Param('venID') id: string) {
    const ven = await this.objects.ven(await this.client(req), id);
    return this.vtn.venEventsTopics(ven.id);
  }

  /** Topics Wattline does not publish on: said with a 404 that names where such changes are heard instead. */
  @Get([
    'notifiers/mqtt/topics/reports',
    'notifiers/mqtt/topics/subscriptions',
    'notifiers/mqtt/topics/vens',
    'notifiers/mqtt/topics/resources',
    'notifiers/mqtt/topics/vens/:venID',
    'notifiers/mqtt/topics/vens/:venID/programs',
    'notifiers/mqtt/topics/vens/:venID/resources',
  ])
  async unpublishedTopics(@Req() req: Request): Promise<never> {
    await this.client(req);
    throw new DomainError(
      'not_found',
      'Wattline publishes events over MQTT (/notifiers/mqtt/topics/programs/{programID}/events, /notifiers/mqtt/topics/vens/{venID}/events); changes to reports, subscriptions, vens and resources are notified by webhook subscriptions',
    );
  }

  // --- subscriptions --------------------------------------------------------------------------

  @Get('subscriptions')
  async subscriptions(@Req() req: Request, @Query() query: Record<string, unknown>) {
    return this.objects.subscriptions(await this.client(req), paging(query), {
      programId: one(query, 'programID'),
      clientName: one(query, 'clientName'),
      objects: list(query, 'objects'),
    });
  }

  @Post('subscriptions')
  async createSubscription(@Req() req: Request, @Body() body: unknown) {
    return this.objects.createSubscription(await this.client(req), body);
  }

  @Get('subscriptions/:subscriptionID')
  async subscription(@Req() req: Request, @Param('subscriptionID') id: string) {
    return this.objects.subscription(await this.client(req), id);
  }

  @Put('subscriptions/:subscriptionID')
  async updateSubscription(@Req() req: Request, @Param('subscriptionID') id: string, @Body() body: unknown) {
    return this.objects.updateSubscription(await this.client(req), id, body);
  }

  @Delete('subscriptions/:subscriptionID')
  async deleteSubscription(@Req() req: Request, @Param('subscriptionID') id: string) {
    return this.objects.deleteSubscription(await this.client(req), id);
  }

  // --- vens -----------------------------------------------------------------------------------

  @Get('vens')
  async vens(@Req() req: Request, @Query() query: Record<string, unknown>) {
    return this.objects.vens(await this.client(req), paging(query), one(query, 'venName'));
  }

  @Post('vens')
  async createVen(@Req() req: Request, @Body() body: unknown) {
    return this.objects.createVen(await this.client(req), body);
  }

  @Get('vens/:venID')
  async ven(@Req() req: Request, @Param('venID') id: string) {
    return this.objects.ven(await this.client(req), id);
  }

  @Put('vens/:venID')
  async updateVen(@Req() req: Request, @Param('venID') id: string, @Body() body: unknown) {
    return this.objects.updateVen(await this.client(req), id, body);
  }

  @Delete('vens/:venID')
  async deleteVen(@Req() req: Request, @Param('venID') id: string) {
    return this.objects.deleteVen(await this.client(req), id);
  }

  // --- resources ------------------------------------------------------------------------------

  @Get('resources')
  async resources(@Req() req: Request, @Query() query: Record<string, unknown>) {
    return this.objects.resources(await this.client(req), paging(query), {
      venId: one(query, 'venID'),
      resourceName: one(query, 'resourceName'),
    });
  }

  @Post('resources')
  async createResource(@Req() req: Request, @Body() body: unknown) {
    return this.objects.createResource(await this.client(req), body);
  }

  @Get('resources/:resourceID')
  async resource(@Req() req: Request, @Param('resourceID') id: string) {
    return this.objects.resource(await this.client(req), id);
  }

  @Put('resources/:resourceID')
  async updateResource(@Req() req: Request, @Param('resourceID') id: string, @Body() body: unknown) {
    return this.objects.updateResource(await this.client(req), id, body);
  }

  @Delete('resources/:resourceID')
  async deleteResource(@Req() req: Request, @Param('resourceID') id: string) {
    return this.objects.deleteResource(await this.client(req), id);
  }

  // --- reports --------------------------------------------------------------------------------

  @Get('reports')
  async reports(@Req() req: Request, @Query() query: Record<string, unknown>) {
    return this.objects.reports(await this.client(req), paging(query), {
      programId: one(query, 'programID'),
      eventId: one(query, 'eventID'),
      clientName: one(query, 'clientName'),
    });
  }

  @Post('reports')
  async createReport(@Req() req: Request, @Body() body: unknown) {
    return this.objects.createReport(await this.client(req), body);
  }

  @Get('reports/:reportID')
  async report(@Req() req: Request, @Param('reportID') id: string) {
    return this.objects.report(await this.client(req), id);
  }

  @Put('reports/:reportID')
  async updateReport(@Req() req: Request, @Param('reportID') id: string, @Body() body: unknown) {
    return this.objects.updateReport(await this.client(req), id, body);
  }

  @Delete('reports/:reportID')
  async deleteReport(@Req() req: Request, @Param('reportID') id: string) {
    return this.objects.deleteReport(await this.client(req), id);
  }
}
