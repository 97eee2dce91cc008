export * from './tokens';
export * from './metrics';
export * from './infrastructure';
export * from './platform.module';
export * from './secrets';
export * from './run-app';
export * from './control-bus';
