import { Logger, type LogLevel } from '@nestjs/common';
import { Logger as PinoNestLogger, PinoLogger } from 'nestjs-pino';
import type { WattlineConfig } from '@wattline/config';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const PINO_LEVEL: Record<WattlineConfig['LOG_LEVEL'], string> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Routes every Nest `Logger` of the process: readable lines (`LOG_FORMAT=text`), or one JSON
 * object per event through pino (`LOG_FORMAT=json`, for log collectors), at `LOG_LEVEL`.
 */
export function installLogger(config: Pick<WattlineConfig, 'LOG_LEVEL' | 'LOG_FORMAT'>): void {
  if (config.LOG_FORMAT === 'json') {
    Logger.overrideLogger(new PinoNestLogger(new PinoLogger({ pinoHttp: { level: PINO_LEVEL[config.LOG_LEVEL] } }), {}));
    return;
  }
  Logger.overrideLogger(LEVELS.slice(0, LEVELS.indexOf(config.LOG_LEVEL) + 1));
}
