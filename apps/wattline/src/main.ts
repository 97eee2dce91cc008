import { exitOnFailure } from '@wattline/platform';
import { startPlatform } from './platform';

/** `npm start`: the whole platform in one process. */
exitOnFailure(startPlatform());
