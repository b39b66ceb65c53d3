// The gateway's one way of taking a paginated answer: required lists, and an end to paging.

import { allMembers, collect, identifier } from '../../lambda/aws/answers';
import { FORMS, isForm } from '../../lambda/identifiers';

interface Page {
  readonly Items?: string[];
  readonly NextToken?: string;
}
const spec = { listName: 'Items', list: (page: Page) => page.Items, token: (page: Page) => page.NextToken };

/** What an SDK paginator does: it asks again for as long as the answer carries a token. */
async function* pages(answers: readonly Page[], endless = false): AsyncGenerator<Page> {
  for (let n = 0; endless || n < answers.length; n += 1) yield answers[n % answers.length];
}
const read = (source: AsyncIterable<Page>, maxPages?: number) => collect('ListItems', source, { ...spec, maxPages }, (item) => item);

describe('allMembers', () => {
  it('reads every member of every page', async () => {
    expect(await read(pages([{ Items: ['a'], NextToken: 't1' }, { Items: [], NextToken: 't2' }, { Items: ['b'] }]))).toEqual(['a', 'b']);
  });

  it('fails on a page without its list, even the last, never returning what it had', async () => {
    await expect(read(pages([{ Items: ['a'], NextToken: 't1' }, {}]))).rejects.toThrow('malformed ListItems answer: no Items');
    await expect(read(pages([{ NextToken: 't1' }]))).rejects.toThrow('no Items');
  });

  it('stops with an error when a token repeats, the same or after others', async () => {
    await expect(read(pages([{ Items: ['a'], NextToken: 't1' }], true))).rejects.toThrow('page 2 repeats an earlier continuation token');
    const cycle = [{ Items: ['a'], NextToken: 't1' }, { Items: ['b'], NextToken: 't2' }];
    await expect(read(pages(cycle, true))).rejects.toThrow('page 3 repeats an earlier continuation token');
  });

  it('stops with an error past the page limit', async () => {
    let n = 0;
    async function* fresh(): AsyncGenerator<Page> {
      for (;;) yield { Items: [], NextToken: `t${(n += 1)}` };
    }
    await expect(read(fresh(), 50)).rejects.toThrow('more than 50 pages');
    expect(n).toBe(51);
  });

  it('stops the paginator when the reader leaves early', async () => {
    let asked = 0;
    async function* counted(): AsyncGenerator<Page> {
      for (;;) {
        asked += 1;
        yield { Items: ['x'], NextToken: `t${asked}` };
      }
    }
    for await (const item of allMembers('ListItems', counted(), spec)) if (item === 'x') break;
    expect(asked).toBe(1);
  });
});

describe('identifier forms', () => {
  it.each([
    ['imageId', 'ami-0123456789abcdef0', ['AMI-0123456789abcdef0', 'ami-0123456789ABCDEF0', 'ami-0123', 'ami-0123456789abcdef', ' ami-01234567', 'ami-01234567\n']],
    ['snapshotId', 'snap-0123456789abcdef0', ['SNAP-0123456789abcdef0', 'snap-xyz']],
    ['region', 'ap-southeast-2', ['US-EAST-1', 'us-east', 'useast1', 'us-gov-west-1 ']],
    ['accountId', '111122223333', ['11112222333', '1111222233334', '11112222333x']],
    ['organizationArn', 'arn:aws:organizations::111111111111:organization/o-exampleorgid', ['arn:aws:organizations::111111111111:ou/o-exampleorgid/ou-ab12-workload1']],
    ['orgUnitArn', 'arn:aws:organizations::111111111111:ou/o-exampleorgid/ou-ab12-workload1', ['arn:aws:organizations::111111111111:organization/o-exampleorgid']],
  ] as const)('%s accepts exactly its form', (form, valid, invalid) => {
    expect(isForm(form, valid)).toBe(true);
    for (const value of invalid) expect(isForm(form, value)).toBe(false);
    expect(() => identifier('Describe', form, invalid[0], 'the field')).toThrow(`the field "${invalid[0]}" is not ${FORMS[form].expected}`);
    expect(() => identifier('Describe', form, undefined, 'the field')).toThrow('the field is missing');
  });

  it('accepts the other partitions and region names', () => {
    expect(isForm('region', 'us-gov-west-1')).toBe(true);
    expect(isForm('topicArn', 'arn:aws-cn:sns:cn-north-1:111122223333:ami-guard')).toBe(true);
    expect(isForm('arn', 'arn:aws:ec2:us-east-1:111122223333:instance/i-0abc')).toBe(true);
    expect(isForm('arn', 'arn:aws:s3:::bucket/key')).toBe(true);
    expect(isForm('arn', 'not-an-arn')).toBe(false);
  });
});
