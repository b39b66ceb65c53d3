import {
  CreateTagsCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  EnableImageDeregistrationProtectionCommand,
} from '@aws-sdk/client-ec2';
import { PublishCommand } from '@aws-sdk/client-sns';
import { AccountBuilder, AWS_THROTTLE, startSandbox } from '../../sandbox';
import type { FaultRule, Sandbox } from '../../sandbox';
import { Throttle } from '../../sandbox/realism';
import { ec2, id, sdkError, sns } from './helpers';

const ME = '111122223333';
const IMAGES = Array.from({ length: 20 }, (_, i) => id('ami', i + 1));

function account(): AccountBuilder {
  const b = new AccountBuilder(ME).topic('reports');
  for (const imageId of IMAGES) b.image({ id: imageId });
  return b;
}

async function withSandbox(opts: Parameters<typeof startSandbox>[1], fn: (sb: Sandbox) => Promise<void>): Promise<void> {
  const sb = await startSandbox(account(), opts);
  try {
    await fn(sb);
  } finally {
    await sb.stop();
  }
}

describe('throttling', () => {
  it('uses AWS token buckets per class (unit, fake clock)', () => {
    let t = 0;
    const th = new Throttle(AWS_THROTTLE, () => t);
    let ok = 0;
    for (let i = 0; i < 150; i += 1) if (th.take('us-east-1', 'describe')) ok += 1;
    expect(ok).toBe(100);
    expect(th.take('eu-west-1', 'describe')).toBe(true); // per region
    expect(th.take('us-east-1', 'tags')).toBe(true); // per class
    t = 1000; // one second refills 20 describe tokens
    ok = 0;
    for (let i = 0; i < 50; i += 1) if (th.take('us-east-1', 'describe')) ok += 1;
    expect(ok).toBe(20);
    for (let i = 0; i < 50; i += 1) th.take('us-east-1', 'mutating');
    expect(th.take('us-east-1', 'mutating')).toBe(false);
    expect(AWS_THROTTLE).toEqual({
      describe: { capacity: 100, refillPerSecond: 20 },
      tags: { capacity: 100, refillPerSecond: 10 },
      deregister: { capacity: 100, refillPerSecond: 5 },
      mutating: { capacity: 50, refillPerSecond: 5 },
    });
  });

  it('answers 503 RequestLimitExceeded through the SDK and records it', async () => {
    await withSandbox({ throttle: { describe: { capacity: 3, refillPerSecond: 0.001 } } }, async (sb) => {
      const c = ec2(sb);
      for (let i = 0; i < 3; i += 1) await c.send(new DescribeImagesCommand({ Owners: ['self'] }));
      const e = await sdkError(() => c.send(new DescribeImagesCommand({ Owners: ['self'] })));
      expect(e).toMatchObject({ name: 'RequestLimitExceeded', status: 503 });
      expect(sb.calls.at(-1)).toMatchObject({ status: 503, errorCode: 'RequestLimitExceeded', injected: 'throttle' });
      // other classes and other regions have their own buckets
      await c.send(new CreateTagsCommand({ Resources: [IMAGES[0] as string], Tags: [{ Key: 'a', Value: 'b' }] }));
      const eu = ec2(sb, { region: 'eu-west-1' });
      await eu.send(new DescribeImagesCommand({ Owners: ['self'] }));
      // runtime change: off, then on again with fresh buckets
      sb.setThrottle(false);
      await c.send(new DescribeImagesCommand({ Owners: ['self'] }));
      sb.setThrottle({ describe: { capacity: 1, refillPerSecond: 0.001 } });
      await c.send(new DescribeImagesCommand({ Owners: ['self'] }));
      expect((await sdkError(() => c.send(new DescribeImagesCommand({ Owners: ['self'] })))).name).toBe('RequestLimitExceeded');
      c.destroy();
      eu.destroy();
    });
  });

  it('lets the SDK retry a throttled call (standard retry mode) until it passes', async () => {
    await withSandbox({ throttle: { describe: { capacity: 1, refillPerSecond: 4 } } }, async (sb) => {
      const c = ec2(sb, { maxAttempts: 5 });
      await c.send(new DescribeImagesCommand({ Owners: ['self'] }));
      const r = await c.send(new DescribeImagesCommand({ Owners: ['self'] }));
      expect(r.$metadata.attempts).toBeGreaterThan(1);
      expect(sb.calls.some((x) => x.injected === 'throttle')).toBe(true);
      c.destroy();
    });
  });

  it('classes DeregisterImage and protection calls together', async () => {
    await withSandbox({ throttle: { deregister: { capacity: 2, refillPerSecond: 0.001 } } }, async (sb) => {
      const c = ec2(sb);
      await c.send(new EnableImageDeregistrationProtectionCommand({ ImageId: IMAGES[0] as string }));
      await c.send(new DeregisterImageCommand({ ImageId: IMAGES[1] as string }));
      expect((await sdkError(() => c.send(new DeregisterImageCommand({ ImageId: IMAGES[2] as string })))).name).toBe(
        'RequestLimitExceeded',
      );
      expect(sb.state.image(IMAGES[2] as string)).toBeDefined();
      c.destroy();
    });
  });
});

describe('fault rules', () => {
  it('injects a fault for matching calls only (partial params or predicate) and records it', async () => {
    const rules: FaultRule[] = [
      { action: 'DescribeImageAttribute', match: { ImageId: IMAGES[0] as string }, code: 'UnauthorizedOperation', status: 403 },
      { service: 'ec2', action: 'DescribeImageAttribute', match: (p) => p.ImageId === IMAGES[1], code: 'InternalError', status: 500 },
      { service: 'sns', action: 'Publish', code: 'AuthorizationError', status: 403, message: 'nope' },
    ];
    await withSandbox({ faults: rules }, async (sb) => {
      const c = ec2(sb);
      const attr = (imageId: string): Promise<unknown> =>
        c.send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }));
      expect(await sdkError(() => attr(IMAGES[0] as string))).toMatchObject({ name: 'UnauthorizedOperation', status: 403 });
      expect(await sdkError(() => attr(IMAGES[1] as string))).toMatchObject({ name: 'InternalError', status: 500 });
      await attr(IMAGES[2] as string);
      const s = sns(sb);
      expect(
        await sdkError(() => s.send(new PublishCommand({ TopicArn: `arn:aws:sns:us-east-1:${ME}:reports`, Message: 'x' }))),
      ).toMatchObject({ name: 'AuthorizationErrorException', status: 403, message: 'nope' });
      expect(sb.state.published).toHaveLength(0);
      expect(sb.calls.map((x) => [x.action, x.status, x.errorCode, x.injected])).toEqual([
        ['DescribeImageAttribute', 403, 'UnauthorizedOperation', 'fault'],
        ['DescribeImageAttribute', 500, 'InternalError', 'fault'],
        ['DescribeImageAttribute', 200, undefined, undefined],
        ['Publish', 403, 'AuthorizationError', 'fault'],
      ]);
      sb.setFaults([]);
      await attr(IMAGES[0] as string);
      c.destroy();
      s.destroy();
    });
  });

  it('`times` fails the first N attempts of each request, so SDK retries recover', async () => {
    await withSandbox({ faults: [{ action: 'DescribeImages', code: 'InternalError', status: 500, times: 2 }] }, async (sb) => {
      const c = ec2(sb, { maxAttempts: 3 });
      const r = await c.send(new DescribeImagesCommand({ Owners: ['self'] }));
      expect(r.$metadata.attempts).toBe(3);
      expect(r.Images).toHaveLength(20);
      const other = ec2(sb, { maxAttempts: 2 });
      expect((await sdkError(() => other.send(new DescribeImagesCommand({ ImageIds: [IMAGES[0] as string] })))).name).toBe(
        'InternalError',
      );
      c.destroy();
      other.destroy();
    });
  });

  it('gives the same outcome for the same seed, whatever the arrival order', async () => {
    const rule: FaultRule = { action: 'DescribeImageAttribute', code: 'InternalError', status: 500, probability: 0.5 };
    const outcome = async (seed: number, order: string[], concurrent: boolean): Promise<string[]> => {
      let result: string[] = [];
      await withSandbox({ faults: [rule], seed }, async (sb) => {
        const c = ec2(sb);
        const one = (imageId: string): Promise<string> =>
          c
            .send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'description' }))
            .then(
              () => `${imageId}:ok`,
              () => `${imageId}:fault`,
            );
        if (concurrent) result = await Promise.all(order.map(one));
        else for (const imageId of order) result.push(await one(imageId));
        c.destroy();
      });
      return result.sort();
    };
    const a = await outcome(7, IMAGES, false);
    const b = await outcome(7, [...IMAGES].reverse(), true);
    expect(b).toEqual(a);
    const faults = a.filter((x) => x.endsWith(':fault')).length;
    expect(faults).toBeGreaterThan(2);
    expect(faults).toBeLessThan(18);
    const other = await outcome(8, IMAGES, true);
    expect(other).not.toEqual(a);
  });
});

describe('latency and call records', () => {
  it('adds latency per call and can change it at runtime', async () => {
    await withSandbox({ latencyMs: 120 }, async (sb) => {
      const c = ec2(sb);
      let t = Date.now();
      await c.send(new DescribeImagesCommand({ Owners: ['self'] }));
      expect(Date.now() - t).toBeGreaterThanOrEqual(110);
      sb.setLatency(0);
      t = Date.now();
      await c.send(new DescribeImagesCommand({ Owners: ['self'] }));
      expect(Date.now() - t).toBeLessThan(110);
      c.destroy();
    });
  });

  it('records every call with seq, time, service, action, region, nested params and status', async () => {
    await withSandbox({}, async (sb) => {
      const c = ec2(sb, { region: 'eu-west-1' });
      await c.send(
        new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:Team', Values: ['a', 'b'] }], MaxResults: 5 }),
      );
      await sdkError(() => c.send(new DescribeImagesCommand({ ImageIds: ['ami-bad'] })));
      expect(sb.calls).toEqual([
        {
          seq: 1,
          time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          service: 'ec2',
          action: 'DescribeImages',
          region: 'eu-west-1',
          params: { Owner: ['self'], Filter: [{ Name: 'tag:Team', Value: ['a', 'b'] }], MaxResults: '5' },
          status: 200,
        },
        expect.objectContaining({ seq: 2, status: 400, errorCode: 'InvalidAMIID.Malformed' }),
      ]);
      sb.clearCalls();
      expect(sb.calls).toHaveLength(0);
      c.destroy();
    });
  });
});
