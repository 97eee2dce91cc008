export * from './mqtt-topics';
export * from './kafka-topics';
export * from './payloads';
export * from './acl';
export * from './stream-records';
export * from './openadr';
export * from './openadr-document';
