import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import circles are checked apart, by dpdm (`npm run lint:cycles`), which follows type-only
// imports and require() too: eslint-plugin-import-x's no-cycle skips both, so it never saw the
// circle platform/tracing once had (a lazy require one way, an `import type` back).
export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      '.tools',
      '.cache',
      '.data',
      'bench-results',
      'coverage',
      'jest.config.js',
      'jest.faults.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Rules that need the type checker: the project service reads tsconfig.json, so lint and
    // `tsc` see the same program.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits loses its rejection (an unhandled rejection ends Node) and its
      // ordering: await it, `.catch` it, or mark it `void` with a comment saying why.
      '@typescript-eslint/no-floating-promises': 'error',
      // A promise where void or a boolean is expected (an async listener of an event emitter or a
      // timer, a promise as a condition) is a rejection nobody handles. Every check stays on:
      // Express 5 sends a handler's rejected promise to the error handler, and its types say a
      // handler may return one, so async routes and middleware pass as they are.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: true }],
      // A switch over a union names every member, or has a default saying what happens to the rest.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
    },
  },
);
