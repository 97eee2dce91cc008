import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { RequireRole } from '../auth/api-key.guard';
import { createServiceCredentialSchema, type CreateServiceCredentialBody } from '../dtos/schemas';
import type { IssuedCredentialResponse, RevokedResponse } from '../dtos/responses';
import { CredentialsService } from '../services/credentials.service';
import { IdParamPipe } from '../dtos/id-param.pipe';

@Controller('v1')
export class CredentialsController {
  constructor(private readonly credentials: CredentialsService) {}

  @Post('service-credentials')
  @RequireRole('admin')
  issueService(@Body({ schema: createServiceCredentialSchema }) body: CreateServiceCredentialBody): Promise<IssuedCredentialResponse> {
    return this.credentials.issueService(body.name, body.subscribe, body.publish);
  }

  @Post('service-credentials/:id/revoke')
  @RequireRole('admin')
  @HttpCode(200)
  revokeService(@Param('id', IdParamPipe) id: string): Promise<RevokedResponse> {
    return this.credentials.revokeClient(id);
  }

  @Post('meters/:id/display-credentials')
  @RequireRole('admin')
  issueDisplay(@Param('id', IdParamPipe) meterId: string): Promise<IssuedCredentialResponse> {
    return this.credentials.issueDisplay(meterId);
  }

  @Post('meters/:id/revoke')
  @RequireRole('admin')
  @HttpCode(200)
  revokeMeter(@Param('id', IdParamPipe) meterId: string): Promise<RevokedResponse> {
    return this.credentials.revokeMeter(meterId);
  }
}
