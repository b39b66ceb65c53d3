// The sandbox's tools for adversarial tests: hooks that change the account at a chosen call,
// damaged answers, and small pages.

import { DescribeImageAttributeCommand, DescribeImagesCommand, DescribeImageReferencesCommand } from '@aws-sdk/client-ec2';
import { AccountBuilder, startSandbox } from '../../sandbox';
import type { Sandbox, SandboxOptions } from '../../sandbox';
import { corruptId, dropJsonList, dropXmlList } from '../../sandbox/damage';
import { ec2, id, sdkError } from './helpers';

const ME = '111122223333';
const IMAGES = [1, 2, 3, 4, 5].map((n) => id('ami', n));

async function withSandbox(options: SandboxOptions, fn: (sb: Sandbox) => Promise<void>): Promise<void> {
  const builder = new AccountBuilder(ME);
  for (const imageId of IMAGES) builder.image({ id: imageId });
  const sb = await startSandbox(builder, options);
  try {
    await fn(sb);
  } finally {
    await sb.stop();
  }
}

describe('hooks', () => {
  it('change the account once, when the nth matching call arrives, before it is served', async () => {
    const fired: number[] = [];
    const hooks = [
      {
        action: 'DescribeImageReferences',
        nth: 2,
        run: (call: { seq: number }) => {
          fired.push(call.seq);
          sb.state.instances.push({ instanceId: 'i-00000000000000001', region: 'us-east-1', imageId: IMAGES[0] as string, state: 'running' });
        },
      },
    ];
    let sb!: Sandbox;
    await withSandbox({}, async (started) => {
      sb = started;
      sb.setHooks(hooks);
      const c = ec2(sb);
      const ask = () => c.send(new DescribeImageReferencesCommand({ ImageIds: [IMAGES[0] as string], IncludeAllResourceTypes: true }));
      expect((await ask()).ImageReferences).toEqual([]);
      expect((await ask()).ImageReferences).toHaveLength(1);
      await ask();
      expect(fired).toEqual([sb.calls[1]?.seq]);
    });
  });
});

describe('damaged answers', () => {
  it('truncate: the call takes effect, its answer is cut short and the SDK fails on it', async () => {
    await withSandbox({ faults: [{ action: 'DescribeImages', code: '', status: 200, answer: 'truncate' }] }, async (sb) => {
      const e = await sdkError(() => ec2(sb).send(new DescribeImagesCommand({ Owners: ['self'] })));
      expect(e.name).not.toBe('');
      expect(sb.calls.at(-1)).toMatchObject({ status: 200, injected: 'answer' });
    });
  });

  it('drop-list: the answer parses but lacks its list', async () => {
    await withSandbox({ faults: [{ action: 'DescribeImages', code: '', status: 200, answer: 'drop-list' }] }, async (sb) => {
      const answer = await ec2(sb).send(new DescribeImagesCommand({ Owners: ['self'] }));
      expect(answer.Images).toBeUndefined();
    });
    await withSandbox({ faults: [{ action: 'DescribeImageAttribute', code: '', status: 200, answer: 'drop-list' }] }, async (sb) => {
      const answer = await ec2(sb).send(new DescribeImageAttributeCommand({ ImageId: IMAGES[0], Attribute: 'launchPermission' }));
      expect(answer.ImageId).toBe(IMAGES[0]);
      expect(answer.LaunchPermissions).toBeUndefined();
    });
  });

  it('corrupt-id: one ID of the answer comes back malformed', async () => {
    await withSandbox({ faults: [{ action: 'DescribeImages', code: '', status: 200, answer: 'corrupt-id', occurrence: 0 }] }, async (sb) => {
      const answer = await ec2(sb).send(new DescribeImagesCommand({ Owners: ['self'] }));
      const ids = (answer.Images ?? []).map((i) => i.ImageId);
      expect(ids.filter((x) => x !== undefined && !IMAGES.includes(x))).toHaveLength(1);
    });
  });

  it('damage functions: lists in XML and JSON, IDs', () => {
    expect(dropXmlList('<R><requestId>x</requestId><imagesSet><item><tagSet><item>a</item></tagSet></item></imagesSet><n>1</n></R>')).toBe(
      '<R><requestId>x</requestId><n>1</n></R>',
    );
    expect(dropXmlList('<R><imageId>ami-1</imageId><launchPermission/></R>')).toBe('<R><imageId>ami-1</imageId></R>');
    expect(dropJsonList('{"Accounts":[{"Id":"1"}],"NextToken":"t"}')).toBe('{"NextToken":"t"}');
    expect(corruptId('<imageId>ami-0abc12345678def01</imageId>', 0)).toBe('<imageId>ami-0ABC12345678DEF01</imageId>');
    expect(corruptId('{"Id":"111122223333","Arn":"arn:aws:x::111122223333:y"}', 0)).toBe('{"Id":"11112222333","Arn":"arn:aws:x::111122223333:y"}');
    expect(corruptId('<a>ami-00000000000000001</a>', 0)).toBe('<a>ami-00000000000000001X</a>');
  });
});

describe('page cap', () => {
  it('serves at most pageCap items a page, whatever MaxResults asks', async () => {
    await withSandbox({ pageCap: 2 }, async (sb) => {
      const c = ec2(sb);
      const first = await c.send(new DescribeImagesCommand({ Owners: ['self'], MaxResults: 1000 }));
      expect(first.Images).toHaveLength(2);
      expect(first.NextToken).toBeDefined();
      const seen = [...(first.Images ?? [])];
      let token = first.NextToken;
      while (token !== undefined) {
        const next = await c.send(new DescribeImagesCommand({ Owners: ['self'], MaxResults: 1000, NextToken: token }));
        seen.push(...(next.Images ?? []));
        token = next.NextToken;
      }
      expect(seen.map((i) => i.ImageId).sort()).toEqual(IMAGES);
    });
  });
});
