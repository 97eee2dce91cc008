import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DATA_DIR } from '@wattline/datasets';

/**
 * Low Carbon London's 2013 trial as one region on two tariffs, as the data says it ran: its
 * dToU households on the real 2013 dynamic time-of-use schedule (data/lcl_dtou_tariff_2013.csv,
 * imported as it ships), the region's default tariff `dtou`; its Std households, the control
 * group, on the flat 14.228p (tariff `flat`, also the shadow bill's reference). What the demo
 * provisions through the platform's own REST API.
 */
export const LCL_TRIAL = {
  defaultTariff: 'dtou',
  controlTariff: 'flat',
  dtou: { model: 'schedule', currency: 'GBP', fallbackPrice: '0.1176', referencePrice: '0.14228' },
  flat: { model: 'flat', currency: 'GBP', price: '0.14228', referencePrice: '0.14228' },
  /** The schedule's columns: GMT half hours, pence per kWh, band (Low, Normal, High). */
  scheduleQuery: 'timeColumn=timestamp_gmt&priceColumn=unit_rate_p_per_kwh&bandColumn=tariff_band&divisor=100&timeZone=UTC',
} as const;

/** How a household of an LCL tariff group is provisioned: its group as its cohort, the control group on the flat tariff. */
export function lclTrialMeter(group: 'ToU' | 'Std'): { cohort: string; tariff?: string } {
  return group === 'Std' ? { cohort: group, tariff: LCL_TRIAL.controlTariff } : { cohort: group };
}

/** Creates the region with its two tariffs and imports the dToU schedule; throws with the API's problem on failure. */
export async function provisionLclTrial(httpUrl: string, adminKey: string, regionId: string): Promise<void> {
  const call = async (method: string, route: string, body: string, type = 'application/json') => {
    const res = await fetch(`${httpUrl}${route}`, { method, headers: { authorization: `Bearer ${adminKey}`, 'content-type': type }, body });
    if (!res.ok && res.status !== 409)
      throw new Error(`${method} ${route}: ${res.status} ${((await res.json()) as { detail?: string }).detail ?? ''}`);
  };
  await call(
    'POST',
    '/v1/regions',
    JSON.stringify({
      id: regionId,
      name: 'London, the Low Carbon London trial (dToU and control households)',
      timezone: 'Europe/London',
      tariff: LCL_TRIAL.defaultTariff,
      pricing: LCL_TRIAL.dtou,
    }),
  );
  await call(
    'PUT',
    `/v1/regions/${regionId}/pricing`,
    JSON.stringify({ tariff: LCL_TRIAL.controlTariff, effectiveFrom: '2013-01-01T00:00:00Z', pricing: LCL_TRIAL.flat }),
  );
  await call(
    'POST',
    `/v1/regions/${regionId}/schedules?${LCL_TRIAL.scheduleQuery}`,
    readFileSync(path.join(DATA_DIR, 'lcl_dtou_tariff_2013.csv'), 'utf8'),
    'text/csv',
  );
}
