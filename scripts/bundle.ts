// The second half of `npm run build` (after tsc): esbuild bundles what the package ships as code
// that needs nothing installed beside it. The function bundles and the CLI carry the AWS SDK,
// powertools, zod and commander; the library keeps aws-cdk-lib and constructs (peers) and zod
// (its public types) outside.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');

/** The Lambda handlers, each bundled to dist/functions/<name>/index.js (the asset lib/parts.ts deploys). */
export const FUNCTIONS = ['handler', 'org-handler', 'scan-handler'] as const;

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // CommonJS output keeps dynamic import() lazy: a module loads when the code first imports it.
  legalComments: 'none',
  logLevel: 'warning',
};

// The CLI's policy command reads lib/permissions.ts, whose only aws-cdk-lib use (Token, for
// cdk-nag finding names) the CLI never calls: unused, the import is dropped instead of bundling CDK.
const cdkWithoutSideEffects: Plugin = {
  name: 'aws-cdk-lib-without-side-effects',
  setup(context) {
    context.onResolve({ filter: /^aws-cdk-lib(\/|$)/ }, (args) => ({ path: args.path, external: true, sideEffects: false }));
  },
};

/**
 * The AWS SDK's ES module builds keep every shape of a service in one generated file
 * (dist-es/schemas/schemas_0.js: EC2's is 1.5 MB), one `var X$ = [...]` a shape. esbuild cannot
 * drop an unused one: its object literals have computed keys (`{ [_xN]: ... }`), which it must
 * assume may run code. Each array initializer is only data, so wrapping it in a call marked pure
 * lets esbuild drop the shapes no imported command reaches (the function bundles lose about 0.5 MB).
 * The evaluation is the same: the array is built when the module runs, as before.
 */
export function pureShapes(source: string, fileName: string): string {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const spans: (readonly [number, number])[] = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      const value = declaration.initializer;
      if (value !== undefined && ts.isArrayLiteralExpression(value)) spans.push([value.getStart(file), value.end]);
    }
  }
  let out = '';
  let at = 0;
  for (const [start, end] of spans) {
    out += `${source.slice(at, start)}/* @__PURE__ */ (() => (${source.slice(start, end)}))()`;
    at = end;
  }
  return out + source.slice(at);
}

export const sdkShapesPure: Plugin = {
  name: 'aws-sdk-shapes-pure',
  setup(context) {
    context.onLoad({ filter: /[\\/]@aws-sdk[\\/].+[\\/]dist-es[\\/](.+[\\/])?schemas[\\/]schemas_\d+\.js$/ }, (args) => ({
      contents: pureShapes(readFileSync(args.path, 'utf8'), args.path),
      loader: 'js',
    }));
  },
};

/** The CLI's second file, beside dist/bin/ami-guard.js. */
export const CLI_COMMANDS = 'ami-guard-commands.js';

/** In the CLI's entry, main.ts's `import('./commands')` loads the second file instead of inlining it. */
const commandsApart: Plugin = {
  name: 'cli-commands-apart',
  setup(context) {
    context.onResolve({ filter: /^\.\/commands$/ }, (args) =>
      args.importer.endsWith(join('lambda', 'cli', 'main.ts')) ? { path: `./${CLI_COMMANDS}`, external: true } : undefined,
    );
  },
};

async function bundleAll(): Promise<void> {
  await Promise.all([
    ...FUNCTIONS.map((name) =>
      build({
        ...common,
        entryPoints: [join(ROOT, 'lambda', `${name}.ts`)],
        outfile: join(DIST, 'functions', name, 'index.js'),
        // The runtime is Node.js 22; its built-in SDK may predate GetImageAncestry, so the SDK is inside.
        target: 'node22',
        minify: true,
        // The SDK's ES module builds, so esbuild keeps only the commands and shapes a handler uses.
        // That needs static imports all the way down: without code splitting, a module reached by
        // a dynamic import() is wrapped whole (every export kept), and so is everything it imports.
        mainFields: ['module', 'main'],
        plugins: [sdkShapesPure],
        // Those builds load node:http and node:async_hooks with import(), which a CommonJS bundle
        // would keep as a real dynamic import; as require() it loads the same module, and also where
        // import() is not available (jest's module sandbox, test/cdk/bundling.test.ts).
        supported: { 'dynamic-import': false },
      }),
    ),
    // The CLI in two files: the entry parses arguments and answers --help and --version; the
    // commands (SDK clients, pipeline, writers) load from the second file only when one runs.
    build({
      ...common,
      entryPoints: [join(ROOT, 'bin', 'ami-guard.ts')],
      outfile: join(DIST, 'bin', 'ami-guard.js'),
      target: 'node20',
      plugins: [commandsApart],
      // require(), resolved beside this file, rather than an ES import() of a CommonJS file
      supported: { 'dynamic-import': false },
    }),
    build({
      ...common,
      entryPoints: [join(ROOT, 'lambda', 'cli', 'commands.ts')],
      outfile: join(DIST, 'bin', CLI_COMMANDS),
      target: 'node20',
      // As the functions: the SDK's ES module builds, imported statically, with pure shapes, so only
      // the commands the CLI calls are kept (half the start-up time and memory of the CommonJS builds).
      mainFields: ['module', 'main'],
      plugins: [cdkWithoutSideEffects, sdkShapesPure],
      supported: { 'dynamic-import': false },
    }),
    build({
      ...common,
      entryPoints: [join(ROOT, 'lib', 'index.ts')],
      outfile: join(DIST, 'index.js'),
      target: 'node20',
      external: ['aws-cdk-lib', 'constructs', 'zod'],
    }),
  ]);
  for (const file of ['ami-guard.js', CLI_COMMANDS]) {
    const cli = readFileSync(join(DIST, 'bin', file), 'utf8');
    if (/require\("aws-cdk-lib/.test(cli)) throw new Error(`bundle: the CLI (${file}) requires aws-cdk-lib, which an installed CLI does not have`);
  }
  const entry = readFileSync(join(DIST, 'bin', 'ami-guard.js'), 'utf8');
  if (!entry.includes(`require("./${CLI_COMMANDS}")`) || /@aws-sdk|smithy/.test(entry)) {
    throw new Error('bundle: the CLI entry must load its commands from the second file and hold no SDK code');
  }
}

if (require.main === module) {
  bundleAll().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
