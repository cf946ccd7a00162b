import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', 'ui/resources/vendor', 'ui/bin', 'coverage', 'docs/screenshots'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/http/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['execa', 'node:fs', 'fs', 'node:fs/promises', 'fs/promises', 'node:child_process', 'child_process'],
        patterns: ['@modelcontextprotocol/sdk/*'],
      }],
    },
  },
  {
    files: ['machines/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: ['node:*', 'execa', 'fastify', 'fastify/*', '@nats-io/*', '@modelcontextprotocol/*', '../src/*', '!../src/contract/*'],
      }],
    },
  },
);
