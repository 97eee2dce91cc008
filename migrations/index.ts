import { InitialSchema1763750000000 } from './1763750000000-initial-schema';
import { ClientCredentials1763760000000 } from './1763760000000-client-credentials';

/** Every migration in order; the data source lists classes, not globs, so dist and tests agree. */
export const MIGRATIONS = [InitialSchema1763750000000, ClientCredentials1763760000000];
