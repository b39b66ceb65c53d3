// What a lineage link that does not parse leaves unproven: the image itself, the images whose
// owned chain runs through it, and every candidate it might be a copy of.

import { indexLineage, lineageDoubts } from '../../lambda/engine/lineage';
import { image } from './fixtures';

const unreadable = (sourceRegion?: string) => [{ check: 'ancestry' as const, message: 'the source image "AMI-00000001" does not parse', ...(sourceRegion ? { sourceRegion } : {}) }];

describe('lineageDoubts', () => {
  const root = image('ami-00000001');
  const child = image('ami-00000002', { sourceImageId: 'ami-00000001' });
  const euCopy = image('ami-00000003', { region: 'eu-west-1', sourceImageId: 'ami-00000002', sourceImageRegion: 'us-east-1' });
  const euOther = image('ami-00000004', { region: 'eu-west-1' });
  const apOther = image('ami-00000005', { region: 'ap-southeast-2' });

  it('leaves everything as it was when every link parses', () => {
    const doubts = lineageDoubts(indexLineage([root, child, euCopy, euOther, apOther]));
    for (const candidate of [root, child, euCopy, euOther, apOther]) expect(doubts(candidate)).toEqual([]);
  });

  it('puts the unreadable link on the image itself and doubts every candidate in the region it points to', () => {
    const orphan = image('ami-00000006', { region: 'eu-west-1', faults: unreadable('eu-west-1') });
    const doubts = lineageDoubts(indexLineage([root, child, euCopy, euOther, apOther, orphan]));
    expect(doubts(orphan)).toEqual([{ code: 'check-failed', check: 'ancestry', message: 'the source image "AMI-00000001" does not parse' }]);
    // the orphan may be a copy of euOther (same region) or of euCopy, a descendant of root and child
    for (const candidate of [euOther, euCopy, root, child]) {
      expect(doubts(candidate)).toEqual([expect.objectContaining({ code: 'check-failed', check: 'ancestry', message: expect.stringContaining('ami-00000006 (eu-west-1)') })]);
    }
    // nothing in ap-southeast-2 can be its source
    expect(doubts(apOther)).toEqual([]);
  });

  it('doubts every candidate when the region of the link does not parse either', () => {
    const orphan = image('ami-00000006', { faults: unreadable() });
    const doubts = lineageDoubts(indexLineage([root, apOther, orphan]));
    expect(doubts(apOther)).toHaveLength(1);
    expect(doubts(root)).toHaveLength(1);
  });

  it('marks the lineage of an image whose owned chain runs through an unreadable link as incomplete', () => {
    const brokenParent = image('ami-00000007', { faults: unreadable('us-east-1') });
    const grandchild = image('ami-00000008', { sourceImageId: 'ami-00000007' });
    const doubts = lineageDoubts(indexLineage([brokenParent, grandchild]));
    expect(doubts(grandchild)).toContainEqual(expect.objectContaining({ check: 'ancestry', message: expect.stringMatching(/^the lineage is incomplete/) }));
  });

  it('puts an inventory fault (a snapshot ID that does not parse) on its image only', () => {
    const odd = image('ami-00000009', { faults: [{ check: 'inventory', message: 'a snapshot ID "snap-XYZ" that is not one' }] });
    const doubts = lineageDoubts(indexLineage([odd, root]));
    expect(doubts(odd)).toEqual([{ code: 'check-failed', check: 'inventory', message: 'a snapshot ID "snap-XYZ" that is not one' }]);
    expect(doubts(root)).toEqual([]);
  });
});
