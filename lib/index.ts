// The package's library entry: the constructs and stacks, for CDK apps that depend on ami-guard.
export { AmiGuard, type AmiGuardProps } from './ami-guard';
export { AmiGuardStack, type AmiGuardStackProps } from './ami-guard-stack';
export {
  AmiGuardMemberRole,
  AmiGuardOrganization,
  type AmiGuardMemberRoleProps,
  type AmiGuardOrganizationProps,
} from './ami-guard-organization';
export { AmiGuardOrganizationStack, type AmiGuardOrganizationStackProps } from './ami-guard-organization-stack';
