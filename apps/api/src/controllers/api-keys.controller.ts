import { Controller, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { type CreateApiKeyBody, type ListQuery } from '../dtos/schemas';
import type { IssuedApiKeyResponse, RevokedResponse } from '../dtos/responses';
import { apiKeyView } from '../dtos/views';
import { ApiKeyService } from '../services/api-key.service';
import { sendPage } from './list-response';
import { Route } from '../routes/route.decorator';
import { RouteBody, RouteQuery } from '../routes/route-params';
import { ROUTES } from '../routes/route-table';

@Controller()
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  @Route(ROUTES.issueApiKey)
  async issue(@RouteBody() body: CreateApiKeyBody): Promise<IssuedApiKeyResponse> {
    const key = await this.keys.issue(body.name, body.role, body.regions ?? null);
    return {
      id: key.id,
      name: key.name,
      role: key.role,
      createdAt: new Date(key.createdAt).toISOString(),
      regions: key.regions,
      key: key.key,
    };
  }

  /** Keys issued (never their secret), with cursor pages and CSV like every list. */
  @Route(ROUTES.listApiKeys)
  async list(@RouteQuery() query: ListQuery, @Req() req: Request, @Res() res: Response) {
    const page = await this.keys.list(query.limit, query.cursor);
    sendPage(req, res, { items: page.items.map(apiKeyView), nextCursor: page.nextCursor });
  }

  @Route(ROUTES.revokeApiKey)
  revoke(@Param('id') id: string): Promise<RevokedResponse> {
    return this.keys.revoke(id);
  }
}
