import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  // dist/ is tsc's output of the linted sources.
  { ignores: ['node_modules', 'dist', 'ui/resources/vendor', 'ui/bin', 'coverage', 'docs/screenshots'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The UI's pages are plain browser scripts (served as they are, also inside Neutralino).
    files: ['ui/resources/**/*.js'],
    languageOptions: { globals: { ...globals.browser, Neutralino: 'readonly', NL_OS: 'readonly' } },
  },
  {
    files: ['scripts/**/*.{js,mjs}', 'bin/**/*.js', 'bench/**/*.mjs', 'test/fixtures/**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node } },
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
        patterns: [
          { group: ['node:*', 'execa', 'fastify', 'fastify/*', '@nats-io/*', '@modelcontextprotocol/*'], message: 'machines/ are pure: effects are provided with .provide()' },
          { regex: '^\\.\\./src/(?!contract/)', message: 'machines/ may import only contract types from src/' },
        ],
      }],
    },
  },
);
