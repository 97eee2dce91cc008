import { Controller, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { DeadLettersQuery, ReplayDeadLettersBody } from '../dtos/schemas';
import type { ReplayRequestedResponse } from '../dtos/responses';
import { deadLetterView } from '../dtos/views';
import { ROUTES } from '../routes/route-table';
import { Route } from '../routes/route.decorator';
import { RouteBody, RouteQuery } from '../routes/route-params';
import { DeadLettersService } from '../services/dead-letters.service';
import { sendPage } from './list-response';

/** Operators read what could not be processed, and replay it after a fix (admin). */
@Controller()
export class DeadLettersController {
  constructor(private readonly letters: DeadLettersService) {}

  @Route(ROUTES.listDeadLetters)
  async list(@RouteQuery() query: DeadLettersQuery, @Req() req: Request, @Res() res: Response) {
    const page = await this.letters.page(query);
    sendPage(req, res, { items: page.items.map(deadLetterView), nextCursor: page.nextCursor });
  }

  @Route(ROUTES.replayDeadLetters)
  replay(@RouteBody() body: ReplayDeadLettersBody): Promise<ReplayRequestedResponse> {
    return this.letters.requestReplay(body.ids);
  }
}
