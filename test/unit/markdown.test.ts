import { DEFAULT_MARKDOWN_LIMIT, escapeMarkdown, renderMarkdown } from '../../lambda/report/markdown';
import { HOSTILE_NAME, imageIdOf, reportOf } from './report-fixture';

describe('renderMarkdown', () => {
  it('fits a 3000-image account in a pull request comment: outcome first, safe images folded, a trimmed notice', () => {
    const report = reportOf(3000);
    const markdown = renderMarkdown(report);
    expect(markdown.length).toBeLessThanOrEqual(DEFAULT_MARKDOWN_LIMIT);
    expect(markdown.length).toBeGreaterThan(DEFAULT_MARKDOWN_LIMIT * 0.8);
    expect(markdown.split('\n')[0]).toBe('## ami-guard: Failed: 500 unverified, 1500 blocked, 1000 safe');
    const unverified = markdown.indexOf('### Unverified (500)');
    const blocked = markdown.indexOf('### Blocked (1500)');
    const safe = markdown.indexOf('<details><summary>Safe (1000)');
    expect(unverified).toBeGreaterThan(0);
    expect(blocked).toBeGreaterThan(unverified);
    expect(safe).toBeGreaterThan(blocked);
    expect(markdown.indexOf('</details>')).toBeGreaterThan(safe);
    const notice = /> \*\*Trimmed to fit 65,536 characters\*\*: left out here: (\d+) unverified images, (\d+) blocked images, (\d+) safe images\. The full report: the JSON or HTML report of this run/.exec(markdown);
    expect(notice).not.toBeNull();
    const rows = markdown.split('\n').filter((line) => line.startsWith('| `ami-')).length;
    const leftOut = Number(notice?.[1]) + Number(notice?.[2]) + Number(notice?.[3]);
    expect(rows + leftOut).toBe(3000);
  });

  it('renders a small report in full, with a meaningful why for safe images and nothing trimmed', () => {
    const markdown = renderMarkdown(reportOf(12));
    expect(markdown).not.toContain('Trimmed');
    const safeRow = markdown.split('\n').find((line) => line.includes(imageIdOf(4)));
    expect(safeRow).toContain('candidate: created 420 days ago');
    expect(safeRow).toContain('nothing found that needs it');
    expect(safeRow).toContain('recoverable through Recycle Bin for 7 days');
    expect(safeRow).toMatch(/\| 419 days old \| 2024-06-01 \\\(282 days ago\\\) \|/);
    expect(markdown).toContain('referenced by ec2:Instance arn:aws:ec2:us-east-1:123456789012:instance/i-00000000000000000');
  });

  it('takes another limit, down to a few KiB, and says where the full report is', () => {
    const report = reportOf(3000);
    const big = renderMarkdown(report, { limit: 1_048_576 });
    expect(big.length).toBeLessThanOrEqual(1_048_576);
    expect(big).not.toContain('Trimmed');
    const small = renderMarkdown(report, { limit: 5_000, fullReport: 's3://bucket/reports/run.json' });
    expect(small.length).toBeLessThanOrEqual(5_000);
    expect(small).toContain('The full report: s3://bucket/reports/run.json.');
    expect(small).toContain('Failed: 500 unverified');
  });

  it('shows names as text: no HTML, links, emphasis, mentions or broken table cells', () => {
    const markdown = renderMarkdown(reportOf(12));
    const row = markdown.split('\n').find((line) => line.includes(imageIdOf(7))) ?? '';
    expect(markdown).not.toContain(HOSTILE_NAME);
    expect(row).not.toMatch(/<(script|img)/i);
    expect(row).toContain('&lt;/script&gt;');
    expect(row).toContain('\\*\\*bold\\*\\*');
    expect(row).toContain('\\[link\\]\\(http://x\\)');
    expect(row).toContain('\\@team');
    // every | inside a cell is escaped, so the row keeps its 6 columns
    expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(8);
    expect(escapeMarkdown('a\nb\r\nc')).toBe('a b c');
    expect(escapeMarkdown('- item')).toBe('\\- item');
    expect(escapeMarkdown('1. first')).toBe('1\\. first');
  });
});
