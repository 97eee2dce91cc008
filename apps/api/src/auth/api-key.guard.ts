import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError, type Role } from '@wattline/domain';
import { CatalogRepository } from '@wattline/persistence';
import { ApiKeyService, type KeyPrincipal } from '../services/api-key.service';

export const ROLE_KEY = 'wattline:role';
/** The least role a route needs: `analyst` routes also admit admins. Routes without it are public. */
export const RequireRole = (role: Role) => SetMetadata(ROLE_KEY, role);

/** The key a request was let in with (set by the guard, read by the audit log and the lists a scope narrows). */
export type KeyedRequest = Request & { apiKey?: KeyPrincipal };

/**
 * Lets a request in by its API key's role, and keeps a key scoped to regions to them: a region
 * outside its scope, and a household (meter) of one, are answered 404 as if they did not exist;
 * a list of meters must name one of its regions.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
    private readonly catalog: CatalogRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<Role | undefined>(ROLE_KEY, [context.getHandler(), context.getClass()]);
    if (!required) return true;
    const req = context.switchToHttp().getRequest<KeyedRequest>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new DomainError('unauthorized', 'Send "Authorization: Bearer <apiKey>"');
    const key = await this.keys.keyOf(match[1]);
    if (!key) throw new DomainError('unauthorized', 'Unknown or revoked API key');
    if (required === 'admin' && key.role !== 'admin') throw new DomainError('forbidden', 'This operation needs an admin key');
    req.apiKey = key;
    if (key.regions !== null) await this.keepInScope(req, key.regions);
    return true;
  }

  private async keepInScope(req: Request, regions: string[]): Promise<void> {
    const route = String((req.route as { path?: string } | undefined)?.path ?? '');
    const id = typeof req.params.id === 'string' ? req.params.id : undefined;
    if (route.startsWith('/v1/regions/:id') && id !== undefined && !regions.includes(id))
      throw new DomainError('not_found', `No region ${id}`);
    if (route.startsWith('/v1/meters/:id') && id !== undefined) {
      const meter = await this.catalog.getMeter(id);
      if (meter && !regions.includes(meter.regionId)) throw new DomainError('not_found', `No meter ${id}`);
    }
    if (route === '/v1/meters' && req.method === 'GET') {
      const wanted = typeof req.query.regionId === 'string' ? req.query.regionId : undefined;
      if (wanted === undefined)
        throw new DomainError('validation_failed', `regionId: this key reads the meters of ${regions.join(', ')}: name one`, {
          field: 'regionId',
        });
      if (!regions.includes(wanted)) throw new DomainError('not_found', `No region ${wanted}`);
    }
  }
}
