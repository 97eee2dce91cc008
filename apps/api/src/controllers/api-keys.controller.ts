import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RequireRole } from '../auth/api-key.guard';
import { createApiKeySchema, listQuerySchema, type CreateApiKeyBody, type ListQuery } from '../dtos/schemas';
import type { IssuedApiKeyResponse, RevokedResponse } from '../dtos/responses';
import { apiKeyView } from '../dtos/views';
import { ApiKeyService } from '../services/api-key.service';
import { sendPage } from './list-response';


@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @RequireRole('admin')
  async issue(@Body({ schema: createApiKeySchema }) body: CreateApiKeyBody): Promise<IssuedApiKeyResponse> {
    const key = await this.keys.issue(body.name, body.role);
    return { id: key.id, name: key.name, role: key.role, createdAt: new Date(key.createdAt).toISOString(), key: key.key };
  }

  /** Keys issued (never their secret), with cursor pages and CSV like every list. */
  @Get()
  @RequireRole('admin')
  async list(@Query({ schema: listQuerySchema }) query: ListQuery, @Req() req: Request, @Res() res: Response) {
    const page = await this.keys.list(query.limit, query.cursor);
    sendPage(req, res, { items: page.items.map(apiKeyView), nextCursor: page.nextCursor });
  }

  @Post(':id/revoke')
  @RequireRole('admin')
  @HttpCode(200)
  revoke(@Param('id') id: string): Promise<RevokedResponse> {
    return this.keys.revoke(id);
  }
}
