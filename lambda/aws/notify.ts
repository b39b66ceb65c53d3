// Publishes a run's notification to the SNS topic (per-protocol messages: MessageStructure=json).
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { NotificationInput } from '../report/notification';

export type Publisher = (notification: NotificationInput) => Promise<string | undefined>;

export function createPublisher(topicArn: string): Publisher {
  const client = new SNSClient({});
  return async (notification) => {
    const output = await client.send(new PublishCommand({ TopicArn: topicArn, ...notification }));
    return output.MessageId;
  };
}
