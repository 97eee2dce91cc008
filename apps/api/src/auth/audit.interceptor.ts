import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { mergeMap, type Observable } from 'rxjs';
import { AuditLogRepository } from '@wattline/persistence';
import { ROUTE_KEY } from '../routes/route.decorator';
import type { RouteSpec } from '../routes/route-table';
import type { KeyedRequest } from './api-key.guard';

/**
 * Household data is personal data: every successful read of a route the table marks `personal`
 * (a household's readings, meter, bill; a region's bills) is written to the audit log with the key
 * that read it, what and whose, before the request is done. A refused read is not a read.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditLogRepository,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const spec = this.reflector.get<RouteSpec | undefined>(ROUTE_KEY, context.getHandler());
    if (!spec?.personal) return next.handle();
    const req = context.switchToHttp().getRequest<KeyedRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    const action = spec.personal;
    return next.handle().pipe(
      mergeMap(async (value: unknown) => {
        if (req.apiKey && res.statusCode < 400) {
          const id = String(req.params.id);
          await this.audit.append({
            keyId: req.apiKey.id,
            keyName: req.apiKey.name,
            action,
            meterId: spec.path.startsWith('/v1/meters/') ? id : null,
            regionId: spec.path.startsWith('/v1/regions/') ? id : null,
            path: req.originalUrl.slice(0, 500),
          });
        }
        return value;
      }),
    );
  }
}
