export * from './entities';
export * from './data-source';
export * from './embedded-postgres';
export * from './catalog.repository';
export * from './readings.repository';
export * from './intervals.repository';
export * from './cursor';
export * from './errors';
