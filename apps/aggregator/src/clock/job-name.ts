/** Every job the aggregator schedules; each must have a handler (checked at start-up). */
export enum JobName {
  CloseDueIntervals = 'close-due-intervals',
}

export const JOB_QUEUE = 'wattline-aggregator';
