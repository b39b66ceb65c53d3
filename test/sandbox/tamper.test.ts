// Answer tampering: a successful answer rewritten on its way out, to serve what AWS's odd corners
// (or a bug) might: a list missing, a malformed member, a token that repeats.

import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { AccountBuilder, startSandbox, type Sandbox } from '../../sandbox';
import { ec2 } from './helpers';

const IMAGE = 'ami-0123456789abcdef0';
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox(new AccountBuilder('111122223333').image({ id: IMAGE }), {
    tamper: [{ service: 'ec2', action: 'DescribeImages', match: { Owner: ['self'] }, rewrite: (body) => body.replace(/<imagesSet>[\s\S]*<\/imagesSet>/, ''), times: 1 }],
  });
});
afterAll(() => sandbox.stop());

it('rewrites a matching answer as often as the rule says, and records the call as tampered', async () => {
  const client = ec2(sandbox);
  const first = await client.send(new DescribeImagesCommand({ Owners: ['self'] }));
  expect(first.Images).toBeUndefined();
  const second = await client.send(new DescribeImagesCommand({ Owners: ['self'] }));
  expect(second.Images?.map((image) => image.ImageId)).toEqual([IMAGE]);
  expect(sandbox.calls.map((call) => call.injected)).toEqual(['tamper', undefined]);
});

it('rewrites with the request in hand, replaced by setTampering, and leaves errors alone', async () => {
  const client = ec2(sandbox);
  sandbox.setTampering([{ action: 'DescribeImages', rewrite: (body, params) => body.replace('</imagesSet>', `</imagesSet><nextToken>${String(params.Action ?? 'again')}</nextToken>`) }]);
  expect((await client.send(new DescribeImagesCommand({ ImageIds: [IMAGE] }))).NextToken).toBe('again');
  await expect(client.send(new DescribeImagesCommand({ ImageIds: ['ami-00000000'] }))).rejects.toThrow(/does not exist/);
  sandbox.setTampering([]);
  expect((await client.send(new DescribeImagesCommand({ ImageIds: [IMAGE] }))).NextToken).toBeUndefined();
});

it('keeps a request parameter named for an Object prototype member a plain parameter', async () => {
  const response = await fetch(`${sandbox.url}/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'Action=constructor&Version=2016-11-15',
  });
  expect(await response.text()).toContain('InvalidAction');
  const proto = await fetch(`${sandbox.url}/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'Action=DescribeImages&Version=toString',
  });
  expect(proto.status).toBe(400);
});
