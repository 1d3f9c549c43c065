// Lint rules, including the layering of ../shared/CONVENTIONS.md §1: imports point one way.
import tseslint from 'typescript-eslint';

/** Each layer under src/ and the layers it must not import. */
const layers = {
  ttlv: ['kmip', 'server', 'dispatch', 'operations', 'crypto', 'store', 'audit', 'policy', 'cli', 'config'],
  kmip: ['server', 'dispatch', 'operations', 'crypto', 'store', 'audit', 'policy', 'cli', 'config'],
  crypto: ['server', 'dispatch', 'operations', 'store', 'audit', 'policy', 'cli'],
  store: ['server', 'dispatch', 'operations', 'crypto', 'policy', 'cli'],
  audit: ['server', 'dispatch', 'operations', 'crypto', 'policy', 'cli'],
  policy: ['server', 'dispatch', 'operations', 'cli'],
  operations: ['server', 'dispatch', 'cli'],
  dispatch: ['server', 'cli'],
  server: ['cli'],
  config: ['server', 'dispatch', 'operations', 'cli'],
};

const nativePaths = (layer) => [
  ...(layer === 'crypto-pkcs11' ? [] : [{ name: 'pkcs11js', message: 'Only src/crypto/pkcs11/ may import pkcs11js.' }]),
  ...(layer === 'store-leveldb' ? [] : [{ name: 'classic-level', message: 'Only src/store/leveldb/ may import classic-level.' }]),
];

const layerBlocks = Object.entries(layers).map(([layer, forbidden]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: nativePaths(layer),
        patterns: [
          {
            regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
            message: `src/${layer} must not import these layers (CONVENTIONS.md §1).`,
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'src/kmip/generated/**', 'data/**', '.tmp/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: nativePaths('') }] },
  },
  ...layerBlocks,
  {
    files: ['src/crypto/pkcs11/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: nativePaths('crypto-pkcs11') }] },
  },
  {
    files: ['src/store/leveldb/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: nativePaths('store-leveldb') }] },
  },
);
