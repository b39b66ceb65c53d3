import { familyFromName, familyOf, selectCandidates } from '../../lambda/engine/policy';
import { DEFAULT_POLICY } from '../../lambda/contract';
import { image } from './fixtures';

describe('family rule', () => {
  it.each([
    ['web-server-2024-05-01', 'web-server'],
    ['base-al2023-v12', 'base-al2023'],
    ['app-1.2.3', 'app'],
    ['api_20240501T1200Z', 'api'],
    ['ubuntu-22.04-app-7', 'ubuntu-22.04-app'],
    ['payments build 45', 'payments'],
    ['amzn2-ami-hvm-x86_64-gp2', 'amzn2-ami-hvm-x86_64-gp2'],
    ['2024-05-01', '2024-05-01'],
    ['worker-rc1', 'worker'],
  ])('%s belongs to family %s', (name, family) => {
    expect(familyFromName(name)).toBe(family);
  });

  it('uses the family tag when configured and present', () => {
    expect(familyOf({ name: 'web-2024-01-01', tags: { Family: 'frontend' } }, 'Family')).toBe('tag:frontend');
    expect(familyOf({ name: 'web-2024-01-01', tags: {} }, 'Family')).toBe('web');
  });
});

describe('candidate policy', () => {
  const now = new Date('2026-11-23T00:00:00Z');
  const policy = { ...DEFAULT_POLICY, keepLatest: 1 };

  it('keeps the newest of each family, young images, recently launched and excluded ones', () => {
    const images = [
      image('ami-00000001', { name: 'web-2025-01-01', creationDate: '2025-01-01T00:00:00Z' }),
      image('ami-00000002', { name: 'web-2025-02-01', creationDate: '2025-02-01T00:00:00Z' }),
      image('ami-00000003', { name: 'web-2025-03-01', creationDate: '2025-03-01T00:00:00Z' }),
      image('ami-00000004', { name: 'db-1', creationDate: '2026-11-20T00:00:00Z' }),
      image('ami-00000005', { name: 'db-0', creationDate: '2025-01-01T00:00:00Z', lastLaunchedTime: '2026-11-22T00:00:00Z' }),
      image('ami-00000006', { name: 'old-0', creationDate: '2025-01-01T00:00:00Z', tags: { 'ami-guard:keep': '' } }),
      image('ami-00000007', { name: 'old-1', creationDate: '2024-01-01T00:00:00Z', lastLaunchedTime: '2025-01-01T00:00:00Z' }),
    ];
    const { candidates } = selectCandidates(images, policy, now);
    expect(candidates.map((i) => i.imageId).sort()).toEqual(['ami-00000001', 'ami-00000002', 'ami-00000007']);
  });

  it('treats families per region', () => {
    const images = [
      image('ami-00000001', { name: 'web-1', creationDate: '2025-01-01T00:00:00Z' }),
      image('ami-00000002', { name: 'web-2', creationDate: '2025-02-01T00:00:00Z', region: 'eu-west-1' }),
    ];
    expect(selectCandidates(images, policy, now).candidates).toEqual([]);
  });

  it('never selects an image whose dates cannot be read, and says so', () => {
    const images = [image('ami-00000001', { creationDate: 'yesterday' })];
    const selection = selectCandidates(images, { ...policy, keepLatest: 0 }, now);
    expect(selection.candidates).toEqual([]);
    expect(selection.unjudged[0].message).toContain('yesterday');
  });

  it('applies the age limits in days', () => {
    const images = [image('ami-00000001', { creationDate: '2026-10-25T00:00:00Z' })];
    expect(selectCandidates(images, { ...policy, keepLatest: 0, minAgeDays: 30 }, now).candidates).toHaveLength(0);
    expect(selectCandidates(images, { ...policy, keepLatest: 0, minAgeDays: 29 }, now).candidates).toHaveLength(1);
  });
});
