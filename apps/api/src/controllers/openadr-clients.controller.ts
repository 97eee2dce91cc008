import { Controller } from '@nestjs/common';
import type { CreateOpenAdrClientBody } from '../dtos/schemas';
import type { OpenAdrClientResponse } from '../dtos/responses';
import { VtnService } from '../openadr/vtn.service';
import { Route } from '../routes/route.decorator';
import { RouteBody } from '../routes/route-params';
import { ROUTES } from '../routes/route-table';

/** Enrolment of the VTN's clients, by an admin (their credentials are issued as a meter's are). */
@Controller()
export class OpenAdrClientsController {
  constructor(private readonly vtn: VtnService) {}

  @Route(ROUTES.enrolOpenAdrClient)
  enrol(@RouteBody() body: CreateOpenAdrClientBody): Promise<OpenAdrClientResponse> {
    return this.vtn.enrol(body);
  }
}
