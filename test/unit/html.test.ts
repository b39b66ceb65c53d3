import { createHash } from 'node:crypto';
import { renderHtml } from '../../lambda/report/html';
import { HOSTILE_NAME, reportOf } from './report-fixture';

describe('renderHtml', () => {
  const page = renderHtml(reportOf(12));

  it('is one page that loads nothing: no external address, a policy that admits only its own script', () => {
    expect(page).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1] ?? '';
    expect(policy).toContain("default-src 'none'");
    const scripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]);
    expect(scripts).toHaveLength(1);
    const hash = createHash('sha256').update(scripts[0], 'utf8').digest('base64');
    expect(policy).toContain(`script-src 'sha256-${hash}'`);
  });

  it('carries names only as escaped data: no markup or script from an image name', () => {
    expect(page).not.toContain(HOSTILE_NAME);
    expect(page).not.toContain('</script><script>window.__pwned');
    expect(page.match(/<\/script>/g)).toHaveLength(2);
    const data = /<script type="application\/json" id="ami-guard-data">([\s\S]*?)<\/script>/.exec(page)?.[1] ?? '';
    expect(data).not.toMatch(/[<>&]/);
    const parsed = JSON.parse(data) as { images: { name: string }[] };
    expect(parsed.images.map((image) => image.name)).toContain(HOSTILE_NAME);
  });

  it('leads with the outcome', () => {
    expect(page).toContain('<title>ami-guard: Failed: 2 unverified, 6 blocked, 4 safe</title>');
    expect(page).toContain('<header class="failed">');
  });
});
