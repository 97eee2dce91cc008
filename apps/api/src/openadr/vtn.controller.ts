import { readFileSync } from 'node:fs';
import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request } from 'express';
import { openAdrDocumentPath } from '@wattline/contracts';
import { DomainError } from '@wattline/domain';
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
  const raw = query.targets;
  const targets = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((t) => String(t).split(',')).filter(Boolean);
  return { skip: int('skip', 0), limit: int('limit', 50, 50), targets };
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

  constructor(private readonly vtn: VtnService) {}

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
}
