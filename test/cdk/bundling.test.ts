import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../bin/app';
import type { AmiGuardStack } from '../../lib/ami-guard-stack';

// The one test that bundles the handler for real (local esbuild, no Docker), with the AWS SDK inside.
describe('bundling', () => {
  it('bundles lambda/handler.ts with esbuild into the function asset, AWS SDK included', () => {
    const app = createApp(new App());
    const stack = app.node.findChild('AmiGuard') as AmiGuardStack;
    const template = Template.fromStack(stack);
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    const key = (fn as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key;
    const assembly = app.synth();
    const bundle = path.join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`, 'index.js');
    const code = fs.readFileSync(bundle, 'utf8');
    // booleans, so a failure does not print a 2 MB bundle
    expect(code.includes('DescribeImageReferences')).toBe(true);
    expect(code.includes('GetImageAncestry')).toBe(true);
    // the SDK clients are inside the bundle, not taken from the runtime
    expect(code.match(/require\("@aws-sdk\/client-[a-z0-9-]+"\)/g)).toBeNull();
  });
});
