// The package as a platform team gets it: `npm pack`, the tarball installed into a fresh CDK app
// (plain JavaScript, aws-cdk-lib and constructs resolved as peers), `cdk synth` with no Docker on
// PATH and no esbuild to find, and the CLI run from that install.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const CDK_CLI = path.join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};

interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

// Each test starts whole processes (the CDK CLI, the app, npx): minutes on a busy 2-core machine.
const PROCESS_TIMEOUT_MS = 300_000;

const APPS = {
  single: `const { App, Stack } = require('aws-cdk-lib');
const { AmiGuard } = require('ami-guard');
const app = new App();
const stack = new Stack(app, 'Single', { env: { region: 'eu-west-1' } });
new AmiGuard(stack, 'Guard', { mode: 'protect', regions: ['eu-west-1', 'us-east-1'], notifyEmails: ['platform@example.com'] });
app.synth();
`,
  organization: `const { App, Stack } = require('aws-cdk-lib');
const { AmiGuardOrganization } = require('ami-guard');
const app = new App();
const stack = new Stack(app, 'Organization', { env: { region: 'us-east-1' } });
new AmiGuardOrganization(stack, 'Guard', { organizationId: 'o-a1b2c3d4e5', orgUnitIds: ['r-ab12'], mode: 'report' });
app.synth();
`,
};

describe('the npm package in a fresh CDK app', () => {
  let work = '';
  let app = '';
  let env: NodeJS.ProcessEnv = {};
  let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };

  const run = (file: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string =>
    execFileSync(file, args, { cwd: options.cwd ?? app, env: options.env ?? env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });

  beforeAll(() => {
    for (const built of ['dist/index.js', 'dist/bin/ami-guard.js', 'dist/functions/handler/index.js', 'dist/functions/org-handler/index.js']) {
      if (!fs.existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run npm run build`);
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ami-guard-package-'));
    app = path.join(work, 'app');
    fs.mkdirSync(app);
    // PATH holds node, npm, npx and sh (npx runs bins through it) only: no docker, no esbuild, no cdk.
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin);
    const nodeDir = path.dirname(process.execPath);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    for (const tool of ['npm', 'npx']) fs.symlinkSync(fs.realpathSync(path.join(nodeDir, tool)), path.join(bin, tool));
    fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
    env = {
      PATH: bin,
      HOME: process.env.HOME,
      npm_config_cache: process.env.npm_config_cache,
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      AWS_EC2_METADATA_DISABLED: 'true',
    };

    // The package as npm publishes it (dist is built by `npm test` before jest runs).
    [packed] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, env: { ...process.env } })) as (typeof packed)[];
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    // aws-cdk-lib and constructs at the versions this repository tests, from the npm cache when it has them.
    run('npm', [
      'install',
      path.join(work, packed.filename),
      `aws-cdk-lib@${pkg.devDependencies['aws-cdk-lib']}`,
      `constructs@${pkg.devDependencies.constructs}`,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
    ]);
    for (const [name, source] of Object.entries(APPS)) fs.writeFileSync(path.join(app, `${name}.js`), source);
  }, PROCESS_TIMEOUT_MS);

  afterAll(() => {
    if (work !== '') fs.rmSync(work, { recursive: true, force: true });
  });

  it('packs the bundles, the declarations, README and LICENSE, and nothing from the sandbox or the sources', () => {
    const files = packed.files.map((file) => file.path);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/lib/index.d.ts', 'dist/bin/ami-guard.js']));
    expect(files).toEqual(expect.arrayContaining(['dist/functions/handler/index.js', 'dist/functions/org-handler/index.js']));
    expect(files.filter((file) => /sandbox|\.map$|\.ts$|package-lock/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
    // every declaration the entry's types reach is in the package
    const missing = files
      .filter((file) => file.endsWith('.d.ts'))
      .flatMap((file) =>
        [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/from '(\.[^']+)'/g)].map((match) => path.join(path.dirname(file), `${match[1]}.d.ts`)),
      )
      .filter((target) => !files.includes(target));
    expect(missing).toEqual([]);
  });

  it('installs with aws-cdk-lib and constructs as peers (one copy each) and the LICENSE', () => {
    const installed = path.join(app, 'node_modules', 'ami-guard');
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'cdk-nag', 'constructs']);
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(['zod']);
    expect(fs.existsSync(path.join(installed, 'node_modules'))).toBe(false);
    expect(fs.readFileSync(path.join(installed, 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004');
    expect(() => run('node', ['-e', "require.resolve('esbuild')"])).toThrow();
  });

  const types = (template: { Resources: Record<string, { Type: string }> }) => Object.values(template.Resources).map((resource) => resource.Type);

  it('synthesizes an app using AmiGuard offline: the prebuilt handler is the asset, no Docker, no esbuild, no lockfile', () => {
    const { template, asset } = synth('single', 'Single');
    const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    // the function for manual checks and the scheduled scan's steps
    expect(functions).toHaveLength(2);
    for (const fn of functions) expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    expect(types(template)).toContain('AWS::StepFunctions::StateMachine');
    expect(fs.readdirSync(asset)).toEqual(['index.js']);
    const code = fs.readFileSync(path.join(asset, 'index.js'), 'utf8');
    expect(code.includes('GetImageAncestry')).toBe(true);
  }, PROCESS_TIMEOUT_MS);

  it('synthesizes an app using AmiGuardOrganization: the organization handler, the state machine and the member role StackSet', () => {
    const { template, asset } = synth('organization', 'Organization');
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types).toEqual(expect.arrayContaining(['AWS::Lambda::Function', 'AWS::StepFunctions::StateMachine', 'AWS::CloudFormation::StackSet']));
    expect(fs.readdirSync(asset)).toEqual(['index.js']);
    expect(fs.readFileSync(path.join(asset, 'index.js'), 'utf8').includes('ListAccounts')).toBe(true);
  }, PROCESS_TIMEOUT_MS);

  it('runs the CLI from the install: npx ami-guard --version, policy, and a run with nothing on stderr', () => {
    expect(run('npx', ['--no-install', 'ami-guard', '--version']).trim()).toBe(pkg.version);
    const policy = JSON.parse(run('npx', ['--no-install', 'ami-guard', 'policy', '--mode', 'report'])) as { Statement: unknown[] };
    expect(policy.Statement.length).toBeGreaterThan(0);
    // A run that reaches the SDK (its endpoint refuses): the report says so, stderr stays empty.
    let failed: { status?: number; stdout?: string; stderr?: string } = {};
    try {
      run('npx', ['--no-install', 'ami-guard', 'check', 'ami-0123456789abcdef0', '--region', 'eu-west-1'], {
        env: { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_MAX_ATTEMPTS: '1' },
      });
    } catch (error) {
      failed = error as typeof failed;
    }
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain('ECONNREFUSED');
    expect(failed.stderr).toBe('');
  }, PROCESS_TIMEOUT_MS);

  function synth(name: keyof typeof APPS, stackName: string): { template: { Resources: Record<string, CfnResource> }; asset: string } {
    const out = path.join(work, `cdk.out.${name}`);
    // offline: any request the CDK CLI or the app tried would go to a proxy that refuses it
    const offline = { ...env, HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' };
    run('node', [CDK_CLI, 'synth', '--app', `node ${name}.js`, '--output', out, '--no-notices', '--quiet'], { env: offline });
    const template = JSON.parse(fs.readFileSync(path.join(out, `${stackName}.template.json`), 'utf8')) as { Resources: Record<string, CfnResource> };
    const fn = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::Lambda::Function') as CfnResource;
    const key = (fn.Properties.Code as { S3Key: string }).S3Key;
    return { template, asset: path.join(out, `asset.${key.replace(/\.zip$/, '')}`) };
  }
});
