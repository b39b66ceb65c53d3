// Publishes a run's notification to the SNS topic (per-protocol messages: MessageStructure=json).
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { topicRegion } from '../identifiers';
import type { NotificationInput } from '../contract';

export type Publisher = (notification: NotificationInput) => Promise<string | undefined>;

/** Publishes in the topic's own region (from its ARN), whatever the SDK's default region is. */
export function createPublisher(topicArn: string): Publisher {
  const region = topicRegion(topicArn);
  const client = new SNSClient(region ? { region } : {});
  return async (notification) => {
    const output = await client.send(new PublishCommand({ TopicArn: topicArn, ...notification }));
    return output.MessageId;
  };
}
