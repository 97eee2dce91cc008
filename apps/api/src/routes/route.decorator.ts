import { HttpCode, Get, Post, Put, SetMetadata, applyDecorators } from '@nestjs/common';
import { RequireRole } from '../auth/api-key.guard';
import type { RouteSpec } from './route-table';

export const ROUTE_KEY = 'wattline:route';

/** Nest's path for a route of the table: `/v1/regions/{id}` → `v1/regions/:id`. */
export function nestPath(spec: Pick<RouteSpec, 'path'>): string {
  return spec.path
    .replace(/^\//, '')
    .replace(/\/$/, '')
    .replace(/\{(\w+)\}/g, ':$1');
}

export function successStatus(spec: Pick<RouteSpec, 'method' | 'status'>): number {
  return spec.status ?? (spec.method === 'POST' ? 201 : 200);
}

const METHODS = { GET: Get, POST: Post, PUT: Put } as const;

/**
 * Applies an entry of the route table to a controller method: its method and path, the role the
 * API-key guard requires, its success status; and marks the method with the entry, so a test can
 * check that every entry is served once and every served operation is in the table.
 * Controllers carry no path of their own (`@Controller()`).
 */
export function Route(spec: RouteSpec): MethodDecorator {
  return applyDecorators(
    METHODS[spec.method](nestPath(spec)),
    ...(spec.role ? [RequireRole(spec.role)] : []),
    HttpCode(successStatus(spec)),
    SetMetadata(ROUTE_KEY, spec),
  );
}
