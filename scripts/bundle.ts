// The second half of `npm run build` (after tsc): esbuild bundles what the package ships as code
// that needs nothing installed beside it. The function bundles and the CLI carry the AWS SDK,
// powertools, zod and commander; the library keeps aws-cdk-lib and constructs (peers) and zod
// (its public types) outside.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';

const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');

/** The Lambda handlers, each bundled to dist/functions/<name>/index.js. */
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
      }),
    ),
    build({
      ...common,
      entryPoints: [join(ROOT, 'bin', 'ami-guard.ts')],
      outfile: join(DIST, 'bin', 'ami-guard.js'),
      target: 'node20',
      // The SDK's ES module builds: half the start-up time and memory of its CommonJS builds (measured).
      mainFields: ['module', 'main'],
      plugins: [cdkWithoutSideEffects],
    }),
    build({
      ...common,
      entryPoints: [join(ROOT, 'lib', 'index.ts')],
      outfile: join(DIST, 'index.js'),
      target: 'node20',
      external: ['aws-cdk-lib', 'constructs', 'zod'],
    }),
  ]);
  const cli = readFileSync(join(DIST, 'bin', 'ami-guard.js'), 'utf8');
  if (/require\("aws-cdk-lib/.test(cli)) throw new Error('bundle: the CLI requires aws-cdk-lib, which an installed CLI does not have');
}

bundleAll().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
