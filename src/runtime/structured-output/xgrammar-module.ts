// Loads xgrammar's WebAssembly build (@mlc-ai/web-xgrammar). Its bundle is UMD (it assigns
// `exports` when it sees CommonJS) but the package says "type": "module", so neither `import` nor
// `require` runs it as CommonJS; it is evaluated here inside the same function wrapper Node's
// CommonJS loader uses (a Function, whose dynamic `import('module')` Node resolves normally). Called
// only in the grammar worker thread: compiling a grammar is synchronous WebAssembly work that must
// never block the engine loop.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as XGrammarModule from '@mlc-ai/web-xgrammar';

export type XGrammar = typeof XGrammarModule;

let loaded: XGrammar | undefined;

export function loadXGrammar(): XGrammar {
  if (loaded !== undefined) return loaded;
  const filename = createRequire(import.meta.url).resolve('@mlc-ai/web-xgrammar');
  const source = `${readFileSync(filename, 'utf8')}\n//# sourceURL=${filename}`;
  // The package's own code, from node_modules: the same trust as importing it.
  const wrapper = new Function('exports', 'require', 'module', '__filename', '__dirname', source) as (
    exports: object,
    require: NodeJS.Require,
    module: { exports: object },
    file: string,
    directory: string,
  ) => void;
  const module = { exports: {} };
  wrapper(module.exports, createRequire(filename), module, filename, dirname(filename));
  loaded = module.exports as XGrammar;
  return loaded;
}
