import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../bin/app';
import type { AmiGuardStack } from '../../lib/ami-guard-stack';
import type { Report } from '../../lambda/contract';
import { AccountBuilder, startSandbox } from '../../sandbox';
import { expectStored, lambdaContext, setFunctionEnvironment } from '../integration/lambda-harness';

type BundledHandler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<Report>;

// The function asset is the prebuilt bundle `npm run build` writes (dist/functions/handler), AWS SDK inside.
describe('bundling', () => {
  let bundle = '';

  it('deploys the prebuilt bundle of lambda/handler.ts as the function asset: AWS SDK included, no source map', () => {
    const app = createApp(new App());
    const stack = app.node.findChild('AmiGuard') as AmiGuardStack;
    const template = Template.fromStack(stack);
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    const key = (fn as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key;
    const assembly = app.synth();
    bundle = path.join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`, 'index.js');
    const code = fs.readFileSync(bundle, 'utf8');
    // booleans, so a failure does not print a 2 MB bundle
    expect(code.includes('DescribeImageReferences')).toBe(true);
    expect(code.includes('GetImageAncestry')).toBe(true);
    // the SDK clients are inside the bundle, not taken from the runtime
    expect(code.match(/require\("@aws-sdk\/client-[a-z0-9-]+"\)/g)).toBeNull();
    // no real dynamic import() left (the SDK's ES module builds import node:http so): a CommonJS
    // bundle loads its modules with require(), here as on Lambda
    expect(code.match(/[^\w$.]import\(/g)).toBeNull();
    expect(fs.readdirSync(path.dirname(bundle))).toEqual(['index.js']);
  });

  // The asset as Lambda loads it (index.js, CommonJS, `handler` export), run against the sandbox:
  // a bundling problem (a missing module, an ES-module-only dependency, a broken export) fails here.
  it('the bundled index.js loads and its handler answers a manual check against the sandbox', async () => {
    expect(bundle).not.toBe('');
    const account = new AccountBuilder('111122223333', { now: new Date() })
      .image({ id: 'ami-0aaaaaaaaaaaaaaa1', name: 'web-2024.01.01' })
      .instance({ imageId: 'ami-0aaaaaaaaaaaaaaa1', state: 'stopped' })
      .image({ id: 'ami-0aaaaaaaaaaaaaaa2', name: 'web-2024.02.01' })
      .topic('ami-guard')
      .bucket('ami-guard-reports');
    const sandbox = await startSandbox(account);
    const saved = { ...process.env };
    try {
      setFunctionEnvironment(saved, sandbox, { bucket: 'ami-guard-reports', topicArn: 'arn:aws:sns:us-east-1:111122223333:ami-guard' });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(bundle) as { handler?: BundledHandler };
      expect(typeof loaded.handler).toBe('function');
      const handler = loaded.handler as BundledHandler;

      const report = await handler({ imageIds: ['ami-0aaaaaaaaaaaaaaa1', 'ami-0aaaaaaaaaaaaaaa2'], notify: true }, lambdaContext());
      expect(report.trigger).toBe('manual');
      expect(report.errors).toEqual([]);
      const verdicts = Object.fromEntries(report.images.map((image) => [image.imageId, image.verdict]));
      expect(verdicts).toEqual({ 'ami-0aaaaaaaaaaaaaaa1': 'blocked', 'ami-0aaaaaaaaaaaaaaa2': 'safe' });
      expectStored(sandbox, 'ami-guard-reports', report);
      expect(sandbox.state.published).toHaveLength(1);
      expect(sandbox.state.published[0].messageStructure).toBe('json');

      const calls = sandbox.calls.length;
      await expect(handler({ imageIds: ['ami-0aaaaaaaaaaaaaaa1'], mode: 'cleanup' }, lambdaContext())).rejects.toThrow('invalid event mode');
      expect(sandbox.calls).toHaveLength(calls);
    } finally {
      process.env = saved;
      await sandbox.stop();
    }
  });
});
