import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AmiGuardOrganization, type AmiGuardOrganizationProps } from './ami-guard-organization';

export interface AmiGuardOrganizationStackProps extends StackProps {
  /** The organization deployment's settings (organizationId and orgUnitIds are required). */
  readonly settings: AmiGuardOrganizationProps;
}

/** Organization mode, for the management or delegated administrator account: AmiGuardOrganization and nothing else. */
export class AmiGuardOrganizationStack extends Stack {
  public readonly organization: AmiGuardOrganization;

  constructor(scope: Construct, id: string, props: AmiGuardOrganizationStackProps) {
    super(scope, id, {
      description: 'ami-guard organization mode: one decision over every account of the organization',
      ...props,
    });
    this.organization = new AmiGuardOrganization(this, 'AmiGuardOrganization', props.settings);
    new CfnOutput(this, 'StateMachineArn', { value: this.organization.stateMachine.stateMachineArn, description: 'start an execution to run now' });
    new CfnOutput(this, 'TopicArn', { value: this.organization.topic.topicArn });
    new CfnOutput(this, 'ReportBucketName', { value: this.organization.reportBucket.bucketName });
  }
}
