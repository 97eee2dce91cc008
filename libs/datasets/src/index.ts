export * from './london-households';
