#!/usr/bin/env node
// The CDK app: every setting from CDK context (cdk.json or `-c key=value`), validated by the
// schema the function uses; cdk-nag's AwsSolutions checks run as a synthesis validation.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AmiGuardStack } from '../lib/ami-guard-stack';
import { AmiGuardOrganizationStack } from '../lib/ami-guard-organization-stack';
import { parseSettings, SETTING_KEYS, type Settings, SettingsError } from '../lambda/settings';

/** Reads the settings from context; `-c` values arrive as strings, which the schema parses. */
export function settingsFromContext(app: App): Settings {
  const raw: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const value: unknown = app.node.tryGetContext(key);
    if (value !== undefined) raw[key] = value;
  }
  return parseSettings(raw);
}

export function createApp(app: App = new App()): App {
  const settings = settingsFromContext(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // synth works offline: no account needed, and a region when the environment names none
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1' };
  new AmiGuardStack(app, 'AmiGuard', { settings, env });
  // -c organization=true adds organization mode (validation made organizationId and orgUnitIds required).
  if (settings.organization) {
    new AmiGuardOrganizationStack(app, 'AmiGuardOrganization', {
      settings: { ...settings, organizationId: settings.organizationId as string },
      env,
    });
  }
  return app;
}

if (require.main === module) {
  try {
    createApp().synth();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
  }
}
