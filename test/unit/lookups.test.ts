// Lookups keyed by AWS data (tag keys, IDs) see only what AWS gave: an Object prototype name is a
// key like any other, present only when the image carries it.

import { DEFAULT_POLICY } from '../../lambda/contract';
import { familyOf, selectCandidates } from '../../lambda/engine/policy';
import { covers } from '../../lambda/engine/recycle-bin';
import { image } from './fixtures';

const PROTOTYPE_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];
const rule = (key: string, value?: string) => ({ ruleId: 'rule-1', retentionDays: 7, available: true, resourceTags: [{ key, value }] });
/** Tags as the gateway builds them from DescribeImages' tag list. */
const tagsOf = (pairs: [string, string][]): Record<string, string> => Object.fromEntries(pairs);

describe.each(PROTOTYPE_NAMES)('the tag key %s', (key) => {
  it('makes no Recycle Bin rule cover an image without that tag', () => {
    expect(covers(rule(key), { tags: {} })).toBe(false);
    expect(covers(rule(key, 'x'), { tags: tagsOf([['Name', 'x']]) })).toBe(false);
  });

  it('covers an image that carries it', () => {
    const tags = tagsOf([[key, 'x']]);
    expect(covers(rule(key), { tags })).toBe(true);
    expect(covers(rule(key, 'x'), { tags })).toBe(true);
    expect(covers(rule(key, 'y'), { tags })).toBe(false);
  });

  it('as the exclusion tag excludes only images that carry it', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const images = [image('ami-00000001', { tags: {} }), image('ami-00000002', { tags: tagsOf([[key, '']]) })];
    const policy = { ...DEFAULT_POLICY, minAgeDays: 0, unusedDays: 0, keepLatest: 0, excludeTag: key };
    expect(selectCandidates(images, policy, now).candidates.map((i) => i.imageId)).toEqual(['ami-00000001']);
  });

  it('as the family tag gives an untagged image its name family', () => {
    expect(familyOf({ name: 'web-2024-01-01', tags: {} }, key)).toBe('web');
  });
});
