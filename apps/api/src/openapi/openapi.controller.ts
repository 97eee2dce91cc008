import path from 'node:path';
import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from '@wattline/domain';
import { Route } from '../routes/route.decorator';
import { ROUTES } from '../routes/route-table';
import { openApiDocument } from './openapi.document';

const SWAGGER_UI = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_FILES = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js']);

/** GET /openapi.json and the interactive docs at /docs (Swagger UI, served locally). */
@Controller()
export class OpenApiController {
  private readonly document = openApiDocument();

  @Route(ROUTES.openapi)
  openapi() {
    return this.document;
  }

  @Get('docs')
  @Header('Content-Type', 'text/html; charset=utf-8')
  docs(): string {
    return `<!doctype html><html><head><meta charset="utf-8"><title>Wattline API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head><body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });</script></body></html>`;
  }

  @Get('docs/assets/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    if (!SWAGGER_FILES.has(file)) throw new DomainError('not_found', `No asset ${file}`);
    res.sendFile(path.join(SWAGGER_UI, file));
  }
}
