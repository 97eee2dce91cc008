export * from './london-households';
export * from './ausgrid-solar-home';
