import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AmiGuard, type AmiGuardProps } from './ami-guard';

export interface AmiGuardStackProps extends StackProps {
  /**
   * The AmiGuard settings.
   * @default - every setting at its default
   */
  readonly settings?: AmiGuardProps;
}

/** One account and region's ami-guard: the AmiGuard construct and nothing else. */
export class AmiGuardStack extends Stack {
  public readonly amiGuard: AmiGuard;

  constructor(scope: Construct, id: string, props: AmiGuardStackProps = {}) {
    super(scope, id, {
      description: 'ami-guard: finds unused AMIs, proves what still uses them, reports and protects',
      ...props,
    });
    this.amiGuard = new AmiGuard(this, 'AmiGuard', props.settings);
    new CfnOutput(this, 'FunctionName', { value: this.amiGuard.function.functionName, description: 'invoke by hand to check images' });
    new CfnOutput(this, 'TopicArn', { value: this.amiGuard.topic.topicArn });
    new CfnOutput(this, 'ReportBucketName', { value: this.amiGuard.reportBucket.bucketName });
  }
}
