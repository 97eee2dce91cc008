export * from './london-households';
export * from './ausgrid-solar-home';
export * from './solar-profile';
