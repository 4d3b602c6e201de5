// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports may only point down the pipeline: core ← decode ← flow ← app ← detect (STYLE.md §1). */
const layerRules = [
  { folder: 'core', forbidden: ['capture', 'decode', 'flow', 'app', 'detect', 'store', 'cli', 'schema'] },
  { folder: 'decode', forbidden: ['capture', 'flow', 'app', 'detect', 'store', 'cli'] },
  { folder: 'capture', forbidden: ['decode', 'flow', 'app', 'detect', 'store', 'cli'] },
  { folder: 'store', forbidden: ['capture', 'decode', 'flow', 'app', 'detect', 'evidence', 'cli'] },
  { folder: 'flow', forbidden: ['capture', 'app', 'detect', 'store', 'cli'] },
  { folder: 'app', forbidden: ['capture', 'detect', 'store', 'cli'] },
  // Detectors see events and schema types, never decoder, flow-table or parser internals (STYLE.md E8).
  { folder: 'detect', forbidden: ['capture', 'decode', 'flow', 'app', 'store', 'cli', 'present', 'server'] },
  { folder: 'schema', forbidden: ['capture', 'decode', 'flow', 'app', 'detect', 'store', 'cli', 'present'] },
  { folder: 'present', forbidden: ['cli'] },
  // Exporters see records (schema) and protocol tables of flow/, as the store does, never the packet path.
  { folder: 'export', forbidden: ['capture', 'decode', 'app', 'detect', 'store', 'present', 'cli'] },
  // Evidence export reads captures and decodes frames again; what to select comes in as rows, never a query.
  {
    folder: 'evidence',
    forbidden: ['flow', 'app', 'detect', 'store', 'present', 'export', 'server', 'cli'],
  },
  // The server reads the database (store, present's queries, schema types); it never sees packets.
  { folder: 'server', forbidden: ['capture', 'decode', 'flow', 'app', 'detect', 'evidence', 'cli'] },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...layerRules.map(({ folder, forbidden }) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((f) => ({
            group: [`../${f}/*`, `../../${f}/*`],
            message: `src/${folder} must not import from src/${f} (pipeline dependency rule)`,
          })),
        },
      ],
    },
  })),
);
