// Lint rules, including the layering of docs/ARCHITECTURE.md ("Layers"):
// cli -> server -> runtime -> (cuda, media, shot); convert is used by cli and tests.
import tseslint from 'typescript-eslint';
import prettierConfig from 'eslint-config-prettier';

const http = ['fastify', 'fastify/*', '@fastify/*'];
const layer = (folder) => [`**/${folder}/**`, `../${folder}/*`, `../../${folder}/*`, `../../../${folder}/*`];
const restrict = (patterns, why) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message: why }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'models/**', '.tmp/**'] },
  ...tseslint.configs.recommended,
  prettierConfig,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read the environment in src/config only (docs/ARCHITECTURE.md, "Configuration").',
        },
      ],
    },
  },
  {
    files: ['src/runtime/**'],
    rules: restrict(
      [...http, ...layer('server'), ...layer('cli')],
      'src/runtime knows no HTTP and no CLI (docs/ARCHITECTURE.md, "Layers").',
    ),
  },
  {
    // Model-family code lives in its folder (src/runtime/qwen2-5-vl/); the generic engine, runner
    // plumbing and sampling reach it only through ModelRunner / ModelFamily (src/runtime/model-families.ts).
    files: ['src/runtime/engine/**', 'src/runtime/runner/**', 'src/runtime/sampling/**', 'src/runtime/tokenizer/**'],
    rules: restrict(
      [...http, ...layer('server'), ...layer('cli'), '**/qwen2-5-vl/*'],
      'src/runtime knows no HTTP and no CLI, and its generic parts know no model family (docs/ARCHITECTURE.md, "The engine").',
    ),
  },
  {
    // The shot-analysis service runs over the engine API for both the HTTP route and `shotvl analyze`.
    files: ['src/analysis/**'],
    rules: restrict(
      [...http, 'onnxruntime-node', ...layer('server'), ...layer('cli'), ...layer('convert'), '**/qwen2-5-vl/*'],
      'src/analysis is the shot-analysis service over the engine API: no HTTP, no ORT, no CLI, no model family (docs/ARCHITECTURE.md, "Layers").',
    ),
  },
  {
    // `shotvl analyze` writes its results through the analysis document (src/analysis/analysis-json.ts), not the HTTP layer.
    files: ['src/cli/analyze/**'],
    rules: restrict(
      [...http, ...layer('server')],
      'shotvl analyze calls src/analysis and writes its analysis document; it imports nothing of src/server (docs/ARCHITECTURE.md, "Layers").',
    ),
  },
  {
    files: ['src/media/**'],
    rules: restrict(
      [...http, 'onnxruntime-node', ...layer('server'), ...layer('runtime'), ...layer('cli'), ...layer('convert')],
      'src/media knows no ORT and no HTTP (docs/ARCHITECTURE.md, "Layers").',
    ),
  },
  {
    files: ['src/shot/**'],
    rules: restrict(
      [
        ...http,
        'onnxruntime-node',
        'sharp',
        ...layer('server'),
        ...layer('runtime'),
        ...layer('cli'),
        ...layer('convert'),
        ...layer('media'),
      ],
      'src/shot is pure domain code: no ORT, no HTTP (docs/ARCHITECTURE.md, "Layers").',
    ),
  },
  {
    files: ['src/cuda/**'],
    rules: restrict(
      [...http, ...layer('server'), ...layer('runtime'), ...layer('cli')],
      'src/cuda sits below the runtime (docs/ARCHITECTURE.md, "Layers").',
    ),
  },
  {
    files: ['src/convert/**'],
    rules: restrict(
      [...http, ...layer('server'), ...layer('cli')],
      'src/convert knows no HTTP and no CLI (docs/ARCHITECTURE.md, "Layers").',
    ),
  },
  {
    files: ['src/model-format/**'],
    rules: restrict(
      [...http, 'onnxruntime-node', ...layer('server'), ...layer('runtime'), ...layer('cli'), ...layer('convert')],
      'src/model-format describes the model folder both convert and runtime use: it imports neither ' +
        '(docs/ARCHITECTURE.md, "Layers").',
    ),
  },
  {
    files: ['src/server/**'],
    rules: restrict(
      ['onnxruntime-node', ...layer('cli'), '**/qwen2-5-vl/*'],
      'src/server knows no ORT and no model family; it talks to the engine API (docs/ARCHITECTURE.md, "Layers").',
    ),
  },
  {
    // The page shares only the pure exporters of src/shot/export with the server.
    files: ['web/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...http, 'onnxruntime-node', 'sharp', 'node:*'],
              message: 'web/src runs in the browser: it reaches the server over HTTP only.',
            },
            {
              regex: '^(\\.\\./)+src/(?!shot/export/)',
              message: 'web/src may share src/shot/export (pure code) and nothing else of the server.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/config/**', 'tests/**', 'bench/**', 'src/cli/**', 'web/build.mjs'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
