import { Controller, Param } from '@nestjs/common';
import { type CreateServiceCredentialBody } from '../dtos/schemas';
import type {
  DecommissionedResponse,
  IssuedCredentialResponse,
  MeterSecretResponse,
  RevokedResponse,
  SeqResetResponse,
} from '../dtos/responses';
import { CredentialsService } from '../services/credentials.service';
import { IdParamPipe } from '../dtos/id-param.pipe';
import { Route } from '../routes/route.decorator';
import { RouteBody } from '../routes/route-params';
import { ROUTES } from '../routes/route-table';

@Controller()
export class CredentialsController {
  constructor(private readonly credentials: CredentialsService) {}

  @Route(ROUTES.issueServiceCredential)
  issueService(@RouteBody() body: CreateServiceCredentialBody): Promise<IssuedCredentialResponse> {
    return this.credentials.issueService(body.name, body.subscribe, body.publish);
  }

  @Route(ROUTES.revokeServiceCredential)
  revokeService(@Param('id', IdParamPipe) id: string): Promise<RevokedResponse> {
    return this.credentials.revokeClient(id);
  }

  @Route(ROUTES.issueDisplayCredential)
  issueDisplay(@Param('id', IdParamPipe) meterId: string): Promise<IssuedCredentialResponse> {
    return this.credentials.issueDisplay(meterId);
  }

  @Route(ROUTES.rotateMeterSecret)
  rotateMeterSecret(@Param('id', IdParamPipe) meterId: string): Promise<MeterSecretResponse> {
    return this.credentials.rotateMeterSecret(meterId);
  }

  @Route(ROUTES.reinstateMeter)
  reinstateMeter(@Param('id', IdParamPipe) meterId: string): Promise<MeterSecretResponse> {
    return this.credentials.reinstateMeter(meterId);
  }

  @Route(ROUTES.resetMeterSeq)
  resetMeterSeq(@Param('id', IdParamPipe) meterId: string): Promise<SeqResetResponse> {
    return this.credentials.resetMeterSeq(meterId);
  }

  @Route(ROUTES.decommissionMeter)
  decommissionMeter(@Param('id', IdParamPipe) meterId: string): Promise<DecommissionedResponse> {
    return this.credentials.decommissionMeter(meterId);
  }

  @Route(ROUTES.revokeMeter)
  revokeMeter(@Param('id', IdParamPipe) meterId: string): Promise<RevokedResponse> {
    return this.credentials.revokeMeter(meterId);
  }
}
