export { startSandbox } from './server';
export type { Sandbox, SandboxOptions } from './server';
export {
  AccountBuilder,
  AMAZON_OWNER_ID,
  batchComputeEnvironmentArn,
  emrClusterArn,
  instanceArn,
  launchConfigurationArn,
  recycleBinRuleArn,
  spotFleetRequestArn,
  launchTemplateArn,
  recipeArn,
  ssmParameterArn,
} from './builder';
export type {
  AccountBuilderOptions,
  BatchComputeEnvironmentSpec,
  EmrClusterSpec,
  ImageSpec,
  ImageUsageSpec,
  LaunchConfigurationSpec,
  RecycleBinRuleSpec,
  SpotFleetRequestSpec,
  InstanceSpec,
  LaunchTemplateSpec,
  RecipeSpec,
  SnapshotSpec,
  SsmParameterSpec,
} from './builder';
export { computeTruth, generateAccount } from './generator';
export type { GeneratedAccount, GeneratorOptions, GroundTruth } from './generator';
export { SandboxState, ApiError, COOLDOWN_MS } from './state';
export type { OrganizationView } from './state';
export {
  accountCredentials,
  OrganizationBuilder,
  organizationAccountArn,
  organizationalUnitArn,
  organizationArn,
  rootArn,
} from './organization';
export type {
  AssumedSession,
  OrganizationAccountOptions,
  OrganizationalUnitSpec,
  OrganizationBuilderOptions,
} from './organization';
export { AWS_THROTTLE } from './realism';
export * from './types';
