import { readMetersCsv } from '../dtos/meters-csv';
import { Injectable, createParamDecorator, type ExecutionContext, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import { DomainError } from '@wattline/domain';
import { ValidationProblem } from '../filters/problem.filter';
import { csvUploadQuerySchema, uploadPricesSchema, type UploadPricesBody } from '../dtos/schemas';
import { readPricesCsv } from '../dtos/prices-csv';
import { ROUTE_KEY } from './route.decorator';
import type { RouteSpec } from './route-table';

function routeOf(ctx: ExecutionContext): RouteSpec {
  const spec = Reflect.getMetadata(ROUTE_KEY, ctx.getHandler()) as RouteSpec | undefined;
  if (!spec) throw new Error(`${ctx.getClass().name}.${ctx.getHandler().name} reads its route's schemas but has no @Route`);
  return spec;
}

/** A value parsed by a schema, or a 400 naming each field that is wrong. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationProblem(result.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(body)', message: i.message })));
}

/** The query, validated by the schema its route declares (routes/route-table.ts). */
export const RouteQuery = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const spec = routeOf(ctx);
  if (!spec.query) throw new Error(`route ${spec.method} ${spec.path} declares no query`);
  return parseOr400(spec.query, ctx.switchToHttp().getRequest<Request>().query);
});

/** The JSON body, validated by the schema its route declares. */
export const RouteBody = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const spec = routeOf(ctx);
  if (!spec.body) throw new Error(`route ${spec.method} ${spec.path} declares no body`);
  return parseOr400(spec.body, ctx.switchToHttp().getRequest<Request>().body);
});

/**
 * An uploaded price series: JSON `{prices:[…]}`, or text/csv that CsvPricesMiddleware has read
 * into the same shape; either way checked by the upload schema (an interval given twice
 * included), so the controller hands the service one validated body.
 */
export const PricesBody = createParamDecorator((_: unknown, ctx: ExecutionContext): UploadPricesBody => {
  const req = ctx.switchToHttp().getRequest<Request>();
  parseOr400(routeOf(ctx).query ?? csvUploadQuerySchema, req.query);
  const parsed = uploadPricesSchema.safeParse(req.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.') || '(body)';
    throw new DomainError('validation_failed', `${field}: ${issue.message}`, { field });
  }
  return parsed.data;
});

/** Reads a text/csv price upload from the request stream (dtos/prices-csv.ts) before the route runs; JSON passes through. */
@Injectable()
export class CsvPricesMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    if (!req.is('text/csv')) return next();
    readPricesCsv(req, parseOr400(csvUploadQuerySchema, req.query)).then((body) => {
      req.body = body;
      next();
    }, next);
  }
}

/** Reads a text/csv provisioning file (dtos/meters-csv.ts) before the route runs; JSON passes through. */
@Injectable()
export class CsvMetersMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    if (!req.is('text/csv')) return next();
    readMetersCsv(req).then((body) => {
      req.body = body;
      next();
    }, next);
  }
}
