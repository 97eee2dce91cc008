// `npm run test:hostile`: the hostile-input fuzzer (test/e2e/hostile-input*, also in `npm test`
// with fewer packets) and the load suites (test/hostile: a meter's PUBACKs timed while the API's
// heaviest allowed requests run; newcomers let in under a NAT's CONNECT flood), one file at a
// time so no other suite shares the two cores with a timing it bounds.
const base = require('./jest.config');
const e2e = base.projects.find((p) => p.displayName === 'e2e');

module.exports = {
  ...base,
  maxWorkers: 1,
  testTimeout: 600_000,
  projects: [
    {
      ...e2e,
      displayName: 'hostile',
      testMatch: ['<rootDir>/test/e2e/hostile-input*.e2e-spec.ts', '<rootDir>/test/hostile/**/*.hostile-spec.ts'],
    },
  ],
};
