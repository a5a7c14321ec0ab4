// Lint: typescript-eslint's recommended rules on every TypeScript source; type errors are tsc's job.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['.*', 'node_modules/', 'cdk.out/', '.data/', 'test-results/', 'functions/web/dist/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/infra/**'], message: 'infra/ is the outer layer; shared/ and functions/ must not import it.' }] },
      ],
    },
  },
  { files: ['infra/**', 'test/**', 'vitest.config.ts', 'eslint.config.js'], rules: { 'no-restricted-imports': 'off' } },
  // Tests poke at untyped CloudFormation JSON.
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
