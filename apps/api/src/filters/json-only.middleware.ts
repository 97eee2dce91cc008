import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '@wattline/domain';

/**
 * Request bodies are JSON (the contract): a form-encoded or text body is refused with 415
 * before any parser or handler reads it, instead of being half-understood.
 */
@Injectable()
export class JsonOnlyMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is('application/json')) {
      next(
        new DomainError(
          'unsupported_media_type',
          `send the body as application/json (got ${req.headers['content-type'] ?? 'no content type'})`,
        ),
      );
      return;
    }
    next();
  }
}

/** Price uploads: JSON, or text/csv for long series. Anything else is refused with 415. */
@Injectable()
export class JsonOrCsvMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is('application/json') && !req.is('text/csv')) {
      next(
        new DomainError(
          'unsupported_media_type',
          `send the body as application/json or text/csv (got ${req.headers['content-type'] ?? 'no content type'})`,
        ),
      );
      return;
    }
    next();
  }
}
