import { Controller, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AuditLogRepository } from '@wattline/persistence';
import type { AuditLogQuery } from '../dtos/schemas';
import { auditEntryView } from '../dtos/views';
import { Route } from '../routes/route.decorator';
import { RouteQuery } from '../routes/route-params';
import { ROUTES } from '../routes/route-table';
import { sendPage } from './list-response';

/** Who read which household's data (admin). */
@Controller()
export class AuditLogController {
  constructor(private readonly audit: AuditLogRepository) {}

  @Route(ROUTES.auditLog)
  async list(@RouteQuery() query: AuditLogQuery, @Req() req: Request, @Res() res: Response) {
    const time = (v?: string) => (v === undefined ? undefined : Date.parse(v));
    const page = await this.audit.page(
      { meterId: query.meterId, keyId: query.keyId, from: time(query.from), to: time(query.to) },
      query.limit,
      query.cursor,
    );
    sendPage(req, res, { items: page.items.map(auditEntryView), nextCursor: page.nextCursor });
  }
}
