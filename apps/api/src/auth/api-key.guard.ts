import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError, type Role } from '@wattline/domain';
import { ApiKeyService } from '../services/api-key.service';

export const ROLE_KEY = 'wattline:role';
/** The least role a route needs: `analyst` routes also admit admins. Routes without it are public. */
export const RequireRole = (role: Role) => SetMetadata(ROLE_KEY, role);

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<Role | undefined>(ROLE_KEY, [context.getHandler(), context.getClass()]);
    if (!required) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new DomainError('unauthorized', 'Send "Authorization: Bearer <apiKey>"');
    const role = await this.keys.roleOf(match[1]);
    if (!role) throw new DomainError('unauthorized', 'Unknown or revoked API key');
    if (required === 'admin' && role !== 'admin') throw new DomainError('forbidden', 'This operation needs an admin key');
    return true;
  }
}
