// Type-aware linting (house style): promises handled, switches exhaustive, no focused tests,
// and import bans that keep the layering: the domain stays pure, apps never import each other.
import js from '@eslint/js';
import jest from 'eslint-plugin-jest';
import tseslint from 'typescript-eslint';

const frameworkAndIo = ['@nestjs/*', 'typeorm', 'kafkajs', 'aedes', 'bullmq', 'pg', 'ioredis', 'mqtt', 'node:fs', 'node:net', 'fs', 'net'];
const otherApps = (app) => ['broker', 'aggregator', 'api'].filter((a) => a !== app).map((a) => `**/apps/${a}/**`);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', '.cache/**', 'scripts/**', 'coverage/**', '*.js', '*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['libs/domain/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: frameworkAndIo.map((group) => ({ group: [group], message: 'libs/domain is pure: no framework or IO imports' })) },
      ],
    },
  },
  ...['broker', 'aggregator', 'api'].map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: otherApps(app), message: 'apps depend on libs, never on each other' }] }],
    },
  })),
  {
    files: ['**/*.spec.ts', '**/*.integration-spec.ts', '**/*.e2e-spec.ts', 'libs/stream/src/stream.contract.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect*'] }],
      'jest/no-standalone-expect': 'off',
      'jest/no-conditional-expect': 'off',
      'jest/no-export': 'off',
    },
  },
);
