import { request } from 'node:http';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AccountBuilder, startSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox';
import { decodeQuery } from '../../sandbox/query';
import { s3, sdkError, sns, sts } from './helpers';

const ME = '111122223333';
const TOPIC = `arn:aws:sns:us-east-1:${ME}:reports`;
const EU_TOPIC = `arn:aws:sns:eu-west-1:${ME}:reports-eu`;

let sb: Sandbox;

beforeAll(async () => {
  sb = await startSandbox(
    new AccountBuilder(ME, { callerArn: `arn:aws:sts::${ME}:assumed-role/ci/session` })
      .topic('reports')
      .topic(EU_TOPIC)
      .bucket('reports-bucket'),
  );
});

afterAll(async () => {
  await sb.stop();
});

function raw(
  path: string,
  body: string,
  headers: Record<string, string>,
  method = 'POST',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${sb.url}${path}`, { method, headers }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('query decoding', () => {
  it('turns dotted names into nested objects and 1-based lists', () => {
    const p = decodeQuery(
      new URLSearchParams(
        'ImageId.2=b&ImageId.1=a&Filter.1.Name=n&Filter.1.Value.1=x&Filter.1.Value.2=y&ResourceType.1.ResourceTypeOption.1.OptionValue.1=10&Tag.1.Key=k&Tag.1.Value=',
      ),
    );
    expect(p).toEqual({
      ImageId: ['a', 'b'],
      Filter: [{ Name: 'n', Value: ['x', 'y'] }],
      ResourceType: [{ ResourceTypeOption: [{ OptionValue: ['10'] }] }],
      Tag: [{ Key: 'k', Value: '' }],
    });
  });
});

describe('SNS Publish', () => {
  const client = (region = 'us-east-1') => sns(sb, { region });

  it('publishes and keeps the message in state', async () => {
    const c = client();
    const r = await c.send(
      new PublishCommand({
        TopicArn: TOPIC,
        Subject: 'ami-guard: 3 blocked',
        Message: 'hello',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'report' } },
      }),
    );
    expect(r.MessageId).toEqual(expect.any(String));
    expect(sb.state.published.at(-1)).toMatchObject({
      messageId: r.MessageId,
      topicArn: TOPIC,
      subject: 'ami-guard: 3 blocked',
      message: 'hello',
      messageAttributes: { kind: { dataType: 'String', value: 'report' } },
    });
    const eu = client('eu-west-1');
    await eu.send(new PublishCommand({ TopicArn: EU_TOPIC, Message: 'eu' }));
    expect(sb.state.published.at(-1)?.region).toBe('eu-west-1');
    c.destroy();
    eu.destroy();
  });

  it('answers NotFound (404) for a topic that does not exist in the region', async () => {
    const c = client();
    expect(await sdkError(() => c.send(new PublishCommand({ TopicArn: EU_TOPIC, Message: 'x' })))).toMatchObject({
      name: 'NotFoundException',
      status: 404,
    });
    expect(
      (await sdkError(() => c.send(new PublishCommand({ TopicArn: `arn:aws:sns:us-east-1:${ME}:nope`, Message: 'x' })))).name,
    ).toBe('NotFoundException');
    c.destroy();
  });

  it('validates the subject: at most 100 printable ASCII characters', async () => {
    const c = client();
    await c.send(new PublishCommand({ TopicArn: TOPIC, Subject: 's'.repeat(100), Message: 'x' }));
    for (const Subject of ['s'.repeat(101), 'line\nbreak', 'tab\there', 'caf\u00e9']) {
      expect(await sdkError(() => c.send(new PublishCommand({ TopicArn: TOPIC, Subject, Message: 'x' })))).toMatchObject({
        name: 'InvalidParameterException',
        status: 400,
      });
    }
    c.destroy();
  });

  it('limits message plus attributes to 262144 UTF-8 bytes', async () => {
    const c = client();
    await c.send(new PublishCommand({ TopicArn: TOPIC, Message: 'a'.repeat(262144) }));
    // 131072 two-byte characters = 262144 bytes: fits; one more byte does not
    await c.send(new PublishCommand({ TopicArn: TOPIC, Message: '\u00e9'.repeat(131072) }));
    expect(
      (await sdkError(() => c.send(new PublishCommand({ TopicArn: TOPIC, Message: `${'\u00e9'.repeat(131072)}x` })))).name,
    ).toBe('InvalidParameterException');
    const attrs = { a: { DataType: 'String', StringValue: 'v' } }; // 1 + 6 + 1 bytes
    await c.send(new PublishCommand({ TopicArn: TOPIC, Message: 'a'.repeat(262144 - 8), MessageAttributes: attrs }));
    expect(
      (
        await sdkError(() =>
          c.send(new PublishCommand({ TopicArn: TOPIC, Message: 'a'.repeat(262144 - 7), MessageAttributes: attrs })),
        )
      ).name,
    ).toBe('InvalidParameterException');
    c.destroy();
  });

  it('checks MessageStructure=json: an object of strings with a default key', async () => {
    const c = client();
    const ok = JSON.stringify({ default: 'plain', email: 'mail', https: '{"version":"1.0"}' });
    await c.send(new PublishCommand({ TopicArn: TOPIC, Message: ok, MessageStructure: 'json' }));
    expect(sb.state.published.at(-1)).toMatchObject({ message: ok, messageStructure: 'json' });
    for (const Message of ['not json', '["default"]', '{"email":"x"}', '{"default":"x","https":{"a":1}}']) {
      expect(
        (await sdkError(() => c.send(new PublishCommand({ TopicArn: TOPIC, Message, MessageStructure: 'json' })))).name,
      ).toBe('InvalidParameterException');
    }
    c.destroy();
  });
});

describe('STS GetCallerIdentity', () => {
  it('answers the account, ARN and user ID', async () => {
    const c = sts(sb);
    const r = await c.send(new GetCallerIdentityCommand({}));
    expect(r).toMatchObject({ Account: ME, Arn: `arn:aws:sts::${ME}:assumed-role/ci/session`, UserId: expect.any(String) });
    expect(sb.calls.at(-1)).toMatchObject({ service: 'sts', action: 'GetCallerIdentity', status: 200 });
    c.destroy();
  });
});

describe('environment endpoint', () => {
  it('serves clients configured only through AWS_ENDPOINT_URL', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: sb.url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'eu-west-1',
    });
    try {
      const c = new STSClient({});
      expect((await c.send(new GetCallerIdentityCommand({}))).Account).toBe(ME);
      expect(sb.calls.at(-1)?.region).toBe('eu-west-1');
      c.destroy();
    } finally {
      process.env = saved;
    }
  });
});

describe('S3', () => {
  it('puts, gets and heads objects, path style', async () => {
    const c = s3(sb);
    await c.send(new PutObjectCommand({ Bucket: 'reports-bucket', Key: 'runs/2026/r1.json', Body: '{"a":1}', ContentType: 'application/json' }));
    const stored = sb.state.objects.get('reports-bucket/runs/2026/r1.json');
    expect(stored?.body.toString()).toBe('{"a":1}');
    expect(stored?.contentType).toBe('application/json');
    const got = await c.send(new GetObjectCommand({ Bucket: 'reports-bucket', Key: 'runs/2026/r1.json' }));
    expect(await got.Body?.transformToString()).toBe('{"a":1}');
    expect(got.ContentType).toBe('application/json');
    expect(got.LastModified).toBeInstanceOf(Date);
    const head = await c.send(new HeadObjectCommand({ Bucket: 'reports-bucket', Key: 'runs/2026/r1.json' }));
    expect(head.ContentLength).toBe(7);
    expect(sb.calls.filter((x) => x.service === 's3').map((x) => x.action)).toEqual(['PutObject', 'GetObject', 'HeadObject']);
    c.destroy();
  });

  it('decodes streamed (aws-chunked) uploads', async () => {
    const c = s3(sb);
    const body = Readable.from([Buffer.from('chunk-one|'), Buffer.from('chunk-two')]);
    await c.send(new PutObjectCommand({ Bucket: 'reports-bucket', Key: 'stream.txt', Body: body, ContentLength: 19, ContentType: 'text/plain' }));
    expect(sb.state.objects.get('reports-bucket/stream.txt')?.body.toString()).toBe('chunk-one|chunk-two');
    c.destroy();
  });

  it('answers NoSuchBucket and NoSuchKey', async () => {
    const c = s3(sb);
    expect(await sdkError(() => c.send(new PutObjectCommand({ Bucket: 'nope', Key: 'k', Body: 'x' })))).toMatchObject({
      name: 'NoSuchBucket',
      status: 404,
    });
    expect(await sdkError(() => c.send(new GetObjectCommand({ Bucket: 'reports-bucket', Key: 'missing' })))).toMatchObject({
      name: 'NoSuchKey',
      status: 404,
    });
    expect(await sdkError(() => c.send(new HeadObjectCommand({ Bucket: 'reports-bucket', Key: 'missing' })))).toMatchObject({
      name: 'NotFound',
      status: 404,
    });
    c.destroy();
  });

  it('accepts virtual-host style requests (bucket.localhost)', async () => {
    const put = await raw('/vh/key.txt', 'virtual', { Host: `reports-bucket.localhost:${sb.port}`, 'Content-Type': 'text/plain' }, 'PUT');
    expect(put.status).toBe(200);
    expect(sb.state.objects.get('reports-bucket/vh/key.txt')?.body.toString()).toBe('virtual');
    const get = await raw('/vh/key.txt', '', { Host: `reports-bucket.localhost:${sb.port}` }, 'GET');
    expect(get).toEqual({ status: 200, body: 'virtual' });
  });
});

describe('routing and unknown actions', () => {
  const form = 'application/x-www-form-urlencoded; charset=utf-8';

  it('answers InvalidAction for unknown EC2, SNS and STS actions', async () => {
    const e = await raw('/', 'Action=RunInstances&Version=2016-11-15', { 'Content-Type': form });
    expect(e.status).toBe(400);
    expect(e.body).toContain('<Response><Errors><Error><Code>InvalidAction</Code>');
    const s = await raw('/', 'Action=Subscribe&Version=2010-03-31', { 'Content-Type': form });
    expect(s.status).toBe(400);
    expect(s.body).toContain('<ErrorResponse');
    expect(s.body).toContain('<Type>Sender</Type><Code>InvalidAction</Code>');
    const t = await raw('/', 'Action=AssumeRole&Version=2011-06-15', { 'Content-Type': form });
    expect(t.status).toBe(400);
    expect(t.body).toContain('<Code>InvalidAction</Code>');
  });

  it('takes the region from the SigV4 credential scope', async () => {
    await raw('/', 'Action=DescribeImages&Version=2016-11-15&Owner.1=self', {
      'Content-Type': form,
      Authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/ap-southeast-2/ec2/aws4_request, SignedHeaders=host, Signature=x',
    });
    expect(sb.calls.at(-1)).toMatchObject({ service: 'ec2', action: 'DescribeImages', region: 'ap-southeast-2', params: { Owner: ['self'] } });
  });
});
