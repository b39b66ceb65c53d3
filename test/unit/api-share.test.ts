// The share of EC2's request buckets a run may use: validated the same way wherever it is set.

import { share } from '../../lambda/cli/validate';
import { parseSettings, settingsFromEnvironment, settingsToEnvironment } from '../../lambda/settings';

describe('apiShare (CDK props, context and the function environment)', () => {
  it('defaults to half of each bucket and parses context strings', () => {
    expect(parseSettings({}).apiShare).toBe(0.5);
    expect(parseSettings({ apiShare: '0.25' }).apiShare).toBe(0.25);
    expect(parseSettings({ apiShare: 1 }).apiShare).toBe(1);
  });

  it.each([
    [0, 'invalid setting apiShare: 0 is not a number greater than 0 and at most 1'],
    ['1.5', 'invalid setting apiShare: "1.5" is not a number greater than 0 and at most 1'],
    [-0.2, 'invalid setting apiShare: -0.2 is not a number greater than 0 and at most 1'],
    ['half', 'invalid setting apiShare: "half" is not a number greater than 0 and at most 1'],
  ])('rejects %p in one line naming the value', (value, message) => {
    expect(() => parseSettings({ apiShare: value })).toThrow(message);
  });

  it('reaches the function through its environment', () => {
    const settings = parseSettings({ apiShare: '0.3' });
    const environment = settingsToEnvironment(settings);
    expect(environment.AMI_GUARD_API_SHARE).toBe('0.3');
    expect(settingsFromEnvironment(environment).apiShare).toBe(0.3);
  });
});

describe('--api-share (CLI)', () => {
  it('accepts 0 < x <= 1', () => {
    expect(share('--api-share', '0.5')).toBe(0.5);
    expect(share('--api-share', '1')).toBe(1);
    expect(share('--api-share', '.1')).toBe(0.1);
  });

  it.each(['0', '1.01', '-1', 'abc', ''])('rejects "%s" naming the value', (value) => {
    expect(() => share('--api-share', value)).toThrow(`invalid --api-share "${value}": a number greater than 0 and at most 1`);
  });
});
