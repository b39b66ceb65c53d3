// The stack configurations the README and docs/ document, synthesized the way the CDK CLI does it:
// cdk.json's `context` first, then the `-c key=value` strings of the documented command on top. A test that
// builds the app without cdk.json's context tests another app (feature flags such as
// @aws-cdk/core:enablePartitionLiterals change what CDK renders, and cdk-nag's finding IDs with it).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { createApp } from '../../bin/app';

/** The `-c key=value` pairs of each documented command (values as the CLI passes them: strings). */
export const DOCUMENTED = {
  /** `npx cdk deploy` with cdk.json alone */
  defaults: {},
  /** README, Deploy: Deploying */
  deploying: {
    mode: 'report',
    regions: 'us-east-1,eu-west-1',
    notifyEmails: 'platform@example.com,security@example.com',
    schedule: 'cron(0 6 ? * MON *)',
  },
  protect: { mode: 'protect', regions: 'us-east-1,eu-west-1' },
  cleanup: { mode: 'cleanup', regions: 'us-east-1,eu-west-1,ap-southeast-2' },
  usageReport: { mode: 'cleanup', usageReport: 'true', requireRecycleBin: 'true' },
  /** README, Deploy: Slack */
  slack: { slackWorkspaceId: 'T01ABCDEFGH', slackChannelId: 'C01ABCDEFGH' },
  /** docs/organization.md, Deploy */
  organization: {
    organization: 'true',
    organizationId: 'o-a1b2c3d4e5',
    orgUnitIds: 'r-ab12',
    mode: 'report',
    regions: 'us-east-1,eu-west-1',
    notifyEmails: 'platform@example.com',
  },
  organizationCleanup: {
    organization: 'true',
    organizationId: 'o-a1b2c3d4e5',
    orgUnitIds: 'ou-ab12-cd34ef56,ou-ab12-gh78ij90',
    mode: 'cleanup',
    usageReport: 'true',
    regions: 'us-east-1,eu-west-1,ap-southeast-2',
  },
} as const satisfies Record<string, Readonly<Record<string, string>>>;

export type DocumentedName = keyof typeof DOCUMENTED;

/** cdk.json's `context`, as the CDK CLI reads it. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

export interface DocumentedApp {
  readonly app: App;
  readonly single: Stack;
  readonly organization?: Stack;
}

const cache = new Map<string, DocumentedApp>();

/**
 * One documented configuration, synthesized once per test file. `bundle` names the stacks whose
 * functions are bundled for real (none by default: bundling does not change a policy).
 */
export function synthesizeDocumented(name: DocumentedName, bundle: readonly string[] = []): DocumentedApp {
  const key = `${name}:${bundle.join(',')}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const app = createApp(new App({ context: { ...cdkJsonContext(), ...DOCUMENTED[name], 'aws:cdk:bundling-stacks': [...bundle] } }));
  const organization = app.node.tryFindChild('AmiGuardOrganization') as Stack | undefined;
  const documented = { app, single: app.node.findChild('AmiGuard') as Stack, ...(organization !== undefined ? { organization } : {}) };
  cache.set(key, documented);
  return documented;
}
