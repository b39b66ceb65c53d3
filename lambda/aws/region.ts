// The region the SDK would use when none is given: its own chain (AWS_REGION, then the profile).
import { EC2Client } from '@aws-sdk/client-ec2';

/** The SDK's default region, or undefined when its chain gives none. */
export async function defaultRegion(): Promise<string | undefined> {
  try {
    return (await new EC2Client({}).config.region()) || undefined;
  } catch {
    return undefined;
  }
}
