export * from './errors';
export * from './readings';
export * from './intervals';
export * from './pricing';
export * from './billing';
export * from './catalog';
