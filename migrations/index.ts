import { InitialSchema1763750000000 } from './1763750000000-initial-schema';

/** Every migration in order; the data source lists classes, not globs, so dist and tests agree. */
export const MIGRATIONS = [InitialSchema1763750000000];
