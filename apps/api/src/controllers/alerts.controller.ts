import { Controller, Param } from '@nestjs/common';
import { IdParamPipe } from '../dtos/id-param.pipe';
import type { RegionAlertsResponse } from '../dtos/responses';
import { regionAlertsView } from '../dtos/views';
import { Route } from '../routes/route.decorator';
import { ROUTES } from '../routes/route-table';
import { AlertsService } from '../services/alerts.service';

/** A region's alert conditions now: the dashboard's fleet view, and an operator's without Prometheus. */
@Controller()
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Route(ROUTES.regionAlerts)
  async regionAlerts(@Param('id', IdParamPipe) id: string): Promise<RegionAlertsResponse> {
    return regionAlertsView(await this.alerts.regionAlerts(id));
  }
}
