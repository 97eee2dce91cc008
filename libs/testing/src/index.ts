export * from './services';
export * from './platform-process';
export * from './tcp-proxy';
export * from './meter-fleet';
export * from './browser';
export * from './promtool';
export * from './documented-responses';
export * from './tariffs';
