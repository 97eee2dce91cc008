export * from './stream.port';
export * from './in-process.stream';
export * from './kafka.stream';
export * from './create-stream';
