export * from './terms';
export type { BillLineRevision, MeterIntervalEnergy, BillLine, BillTotals, BillGroup } from './lines';
export * from './bill';
export * from './summary';
