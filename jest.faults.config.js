// `npm run test:faults`: the long fault suite (test/faults), on the same real services and
// set-up as `npm test`; its quick cases are in test/e2e (dependency-outages, lifecycle).
const base = require('./jest.config');
const e2e = base.projects.find((p) => p.displayName === 'e2e');

module.exports = {
  ...base,
  testTimeout: 600_000,
  projects: [{ ...e2e, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.faults-spec.ts'] }],
};
