import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import type { Sandbox } from '../../sandbox';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface ClientOptions {
  region?: string;
  maxAttempts?: number;
}

export function ec2(sb: Sandbox, o: ClientOptions = {}): EC2Client {
  return new EC2Client({ endpoint: sb.url, region: o.region ?? 'us-east-1', credentials, maxAttempts: o.maxAttempts ?? 1 });
}

export function sns(sb: Sandbox, o: ClientOptions = {}): SNSClient {
  return new SNSClient({ endpoint: sb.url, region: o.region ?? 'us-east-1', credentials, maxAttempts: o.maxAttempts ?? 1 });
}

export function sts(sb: Sandbox, o: ClientOptions = {}): STSClient {
  return new STSClient({ endpoint: sb.url, region: o.region ?? 'us-east-1', credentials, maxAttempts: o.maxAttempts ?? 1 });
}

export function s3(sb: Sandbox, o: ClientOptions & { forcePathStyle?: boolean } = {}): S3Client {
  return new S3Client({
    endpoint: sb.url,
    region: o.region ?? 'us-east-1',
    credentials,
    maxAttempts: o.maxAttempts ?? 1,
    forcePathStyle: o.forcePathStyle ?? true,
  });
}

/** Runs `fn`, expecting it to reject with an SDK error; returns that error's name and status. */
export async function sdkError(fn: () => Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await fn();
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  throw new Error('expected the call to fail');
}

/** 17-hex-digit IDs for tests: id('ami', 1) = ami-00000000000000001. */
export function id(prefix: string, n: number): string {
  return `${prefix}-${n.toString(16).padStart(17, '0')}`;
}

/** The value, which a test expects to be there (throws otherwise). */
export function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}
