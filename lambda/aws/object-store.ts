// The report bucket as a plain key -> text store: the organization steps hand their results
// to each other through it (Step Functions payloads are limited to 256 KiB).
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MalformedAnswerError } from './errors';

export interface ObjectStore {
  readonly bucket: string;
  put(key: string, body: string): Promise<void>;
  /** the object's text, or undefined when there is no such key */
  get(key: string): Promise<string | undefined>;
}

export function createObjectStore(bucket: string, environment: Readonly<Record<string, string | undefined>> = process.env): ObjectStore {
  // A local endpoint (the sandbox) serves buckets by path, not by virtual host name.
  const client = new S3Client({ forcePathStyle: Boolean(environment.AWS_ENDPOINT_URL_S3 || environment.AWS_ENDPOINT_URL) });
  return {
    bucket,
    put: async (key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json; charset=utf-8' }));
    },
    get: async (key) => {
      try {
        const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        // An answer without its body is not an empty object: it is an answer that did not arrive.
        if (output.Body === undefined) throw new MalformedAnswerError('GetObject', `no body for ${key}`);
        return await output.Body.transformToString('utf-8');
      } catch (error) {
        if (error instanceof Error && error.name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
  };
}
