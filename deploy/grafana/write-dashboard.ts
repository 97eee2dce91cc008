import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { wattlineDashboard } from './dashboard';

/** `npm run dashboard` (from the repository's root): writes the dashboard Grafana imports, deploy/grafana/wattline.json. */
export const DASHBOARD_FILE = path.join('deploy', 'grafana', 'wattline.json');
writeFileSync(path.join(process.cwd(), DASHBOARD_FILE), `${JSON.stringify(wattlineDashboard().build(), null, 2)}\n`);
