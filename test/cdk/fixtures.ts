import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Mode } from '../../lambda/contract';
import { createApp } from '../../bin/app';
import type { AmiGuardStack } from '../../lib/ami-guard-stack';

export interface Synthesized {
  readonly app: App;
  readonly stack: AmiGuardStack;
  readonly template: Template;
}

const cache = new Map<string, Synthesized>();

/**
 * The app from bin/app.ts with the given context, synthesized once per context. Bundling is
 * skipped here (one test in bundling.test.ts bundles for real), so the suite stays fast.
 */
export function synthesize(context: Record<string, unknown> = {}): Synthesized {
  const key = JSON.stringify(context);
  const cached = cache.get(key);
  if (cached) return cached;
  const app = createApp(new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } }));
  const stack = app.node.findChild('AmiGuard') as AmiGuardStack;
  const synthesized = { app, stack, template: Template.fromStack(stack) };
  cache.set(key, synthesized);
  return synthesized;
}

export function synthesizeMode(mode: Mode, context: Record<string, unknown> = {}): Synthesized {
  return synthesize({ mode, ...context });
}
