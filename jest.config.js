// Tests run from TypeScript sources; the CLI processes that end-to-end tests spawn run the
// compiled dist/ (npm test builds first).
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs/backup/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e.ts', '**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', isolatedModules: true, diagnostics: false }],
  },
  moduleNameMapper: { '^nest-backup$': '<rootDir>/libs/backup/src' },
  testTimeout: 120000,
  reporters: ['default', '<rootDir>/test/support/summary.reporter.js'],
};
