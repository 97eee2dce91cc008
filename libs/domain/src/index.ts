export * from './errors';
export * from './readings';
export * from './intervals';
export * from './aggregation';
export * from './pricing';
export * from './billing';
export * from './catalog';
