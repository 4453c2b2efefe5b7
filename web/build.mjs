// Builds the web page: web/src (Preact, TypeScript) -> dist/web with esbuild. Bundles get content
// hashes in their names (the server marks them immutable); index.html names them and is the one
// file browsers revalidate. Every file also gets .gz and .br twins, which the server sends to
// browsers that accept them. Prints the page weight.
//
//   node web/build.mjs             (part of `npm run build`, so of `npm ci` through `prepare`)
//   node web/build.mjs --out DIR   (elsewhere, e.g. a test's temporary folder)
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outFlag = process.argv.indexOf('--out');
const outputDirectory =
  outFlag === -1 ? join(here, '..', 'dist', 'web') : resolve(process.argv[outFlag + 1] ?? 'missing --out value');
/** Browsers with native ESM, optional chaining, top-level features the code uses; about 2022 on. */
const TARGETS = ['chrome105', 'firefox110', 'safari16'];

await rm(outputDirectory, { recursive: true, force: true });
const result = await build({
  entryPoints: { app: join(here, 'src', 'main.tsx') },
  outdir: outputDirectory,
  entryNames: 'assets/[name]-[hash]',
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  target: TARGETS,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((file) => relative(outputDirectory, file));
const script = outputs.find((file) => file.endsWith('.js'));
const style = outputs.find((file) => file.endsWith('.css'));
if (script === undefined || style === undefined) throw new Error(`esbuild wrote no script or stylesheet: ${outputs}`);
const template = await readFile(join(here, 'index.html'), 'utf8');
const tags = `<link rel="stylesheet" href="/${style}" />\n    <script type="module" src="/${script}"></script>`;
if (!template.includes('<!-- build:assets -->')) throw new Error('web/index.html lacks <!-- build:assets -->');
await writeFile(join(outputDirectory, 'index.html'), template.replace('<!-- build:assets -->', tags));

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);
const weights = {};
for (const file of ['index.html', script, style]) {
  const path = join(outputDirectory, file);
  const bytes = await readFile(path);
  const gzipped = await gzipAsync(bytes, { level: 9 });
  const brotli = await brotliAsync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  await writeFile(`${path}.gz`, gzipped);
  await writeFile(`${path}.br`, brotli);
  weights[basename(file)] = { bytes: bytes.length, gzip: gzipped.length, brotli: brotli.length };
}
await writeFile(join(outputDirectory, 'build.json'), `${JSON.stringify({ script, style, weights }, null, 2)}\n`);
const gzipTotal = weights[basename(script)].gzip + weights[basename(style)].gzip;
console.log(`web page built in ${relative(process.cwd(), outputDirectory) || '.'}: JS+CSS ${gzipTotal} bytes gzip`);
