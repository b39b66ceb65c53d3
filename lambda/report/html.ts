// The HTML report: one self-contained page (no network, no library) with the outcome, the
// summary, a table to sort and filter, and the lineage graph of each family. The data travels as
// JSON in a non-executable script element; a Content-Security-Policy allows only this page's own
// script (by its hash), so even a name that slipped through escaping could not run as script.

import { createHash } from 'node:crypto';
import type { Report } from '../contract';
import { CLIENT_SCRIPT } from './html-client';
import type { Command } from './outcome';
import { formatGiB, reportView, type ImageView } from './view';

/** One image as the page's script reads it. */
interface PageImage {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly family: string;
  readonly verdict: string;
  readonly age: number | null;
  readonly lastLaunch: string;
  readonly why: readonly string[];
  readonly codes: readonly string[];
  readonly lineage: readonly { id: string; region: string; owner?: string; name?: string }[];
  readonly inUse: readonly { id: string; region: string }[];
  readonly resources: readonly { label: string; title: string }[];
}

export function renderHtml(report: Report, command?: Command): string {
  const view = reportView(report, command);
  const s = report.summary;
  const images = view.sections.flatMap((section) => section.images.map(pageImage));
  const data = { organization: report.images.some((image) => image.accountId !== undefined), images };
  const scriptHash = createHash('sha256').update(CLIENT_SCRIPT, 'utf8').digest('base64');
  const card = (label: string, value: string | number, kind = ''): string =>
    `<div class="card ${kind}"><div class="value">${escapeHtml(String(value))}</div><div class="label">${escapeHtml(label)}</div></div>`;
  const errors =
    view.errors.length === 0
      ? ''
      : `<section id="errors"><h2>Errors (${view.errors.length})</h2><ul>${view.errors.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul></section>`;
  const notes = [view.dryRun, view.reclaim, ...view.waiting].filter(Boolean).map((line) => `<p class="note">${escapeHtml(line)}.</p>`).join('\n');
  const planned = images.length === 0 ? [] : view.sections.flatMap((section) => section.images.filter((image) => image.actions.length > 0));
  const actionList =
    planned.length === 0
      ? ''
      : `<section id="actions"><h2>${report.dryRun === true ? 'Plan (dry run: not carried out)' : 'Actions'}</h2><ul>${planned
          .map((image) => `<li>${escapeHtml(image.label)}<ul>${image.actions.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul></li>`)
          .join('')}</ul></section>`;
  const verdictOptions = ['unverified', 'blocked', 'safe'].map((verdict) => `<option value="${verdict}">${verdict}</option>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ami-guard: ${escapeHtml(view.headline)}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="${view.outcome.status}">
<h1>ami-guard: ${escapeHtml(view.headline)}</h1>
<p>${escapeHtml(view.scope)}. Run <code>${escapeHtml(report.runId)}</code>, ${escapeHtml(report.startedAt)} to ${escapeHtml(report.finishedAt)}.</p>
</header>
<main>
<section id="summary" class="cards">
${card('unverified', s.unverified, s.unverified > 0 ? 'unverified' : '')}${card('blocked', s.blocked, s.blocked > 0 ? 'blocked' : '')}${card('safe', s.safe, s.safe > 0 ? 'safe' : '')}${card('candidates', s.candidates)}${card('images scanned', s.imagesScanned)}${card('protected', s.protected)}${card('deregistered', s.deregistered)}${card('reclaimable', formatGiB(s.reclaimableSnapshotGiB))}${card('estimated saving / month', `$${s.estimatedMonthlySavingUsd.toFixed(2)}`)}
</section>
${notes}
${errors}
<section id="lineage">
<h2>Lineage</h2>
<p>Each family's images from source (left) to copy (right): <span class="key safe">safe</span> <span class="key blocked">blocked</span> <span class="key unverified">unverified</span> <span class="key other">not a candidate</span> <span class="key in-use">image in use that descends from it</span> <span class="key resource">resource that uses it</span>. A dashed line crosses regions, a dotted one accounts. Click an image to find it in the table.</p>
<div id="graphs"></div>
</section>
<section id="images">
<h2>Images</h2>
<div id="filters" role="search">
<input id="filter-text" type="search" placeholder="image, name, reason..." aria-label="search">
<select id="filter-verdict" aria-label="verdict"><option value="">every verdict</option>${verdictOptions}</select>
<select id="filter-region" aria-label="region"><option value="">every region</option></select>
<select id="filter-family" aria-label="family"><option value="">every family</option></select>
<select id="filter-reason" aria-label="reason"><option value="">every reason</option></select>
<button id="filter-reset" type="button">reset</button>
</div>
<p id="shown-count"></p>
<table><thead id="images-head"></thead><tbody id="images-body"></tbody></table>
<button id="show-more" type="button" hidden>show more</button>
</section>
${actionList}
<p class="note">Estimated saving: ${escapeHtml(view.saving)}.</p>
</main>
<noscript>This page needs JavaScript for the table and the graph; the JSON report holds the same data.</noscript>
<script type="application/json" id="ami-guard-data">${jsonForScript(data)}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

function pageImage(view: ImageView): PageImage {
  const { entry } = view;
  const resources: { label: string; title: string }[] = [];
  const inUse: { id: string; region: string }[] = [];
  for (const reason of entry.reasons) {
    if (reason.code === 'referenced') resources.push({ label: `${reason.resourceType} ${reason.arn.split(/[/:]/).at(-1) ?? ''}`, title: `referenced by ${reason.resourceType} ${reason.arn}` });
    if (reason.code === 'shared') resources.push({ label: reason.kind === 'public' ? 'shared publicly' : `shared: ${reason.sharedWith.split('/').at(-1) ?? ''}`, title: `shared with ${reason.kind} ${reason.sharedWith}` });
    if (reason.code === 'ancestor-of-in-use') inUse.push({ id: reason.imageId, region: reason.region });
  }
  return {
    id: entry.imageId,
    account: entry.accountId ?? '',
    region: entry.region,
    name: entry.name,
    family: view.family,
    verdict: entry.verdict,
    age: view.ageDays ?? null,
    lastLaunch: view.lastLaunch,
    why: view.why,
    codes: entry.verdict === 'safe' ? ['none: safe'] : [...new Set(entry.reasons.map((reason) => reason.code))],
    lineage: entry.lineage.map((item) => ({
      id: item.imageId,
      region: item.region,
      ...(item.owner !== undefined ? { owner: item.owner } : {}),
      ...(item.name !== undefined ? { name: item.name } : {}),
    })),
    inUse,
    resources,
  };
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON that cannot end its script element or open a comment inside it. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1f; }
header { padding: 12px 24px; color: #fff; background: #2e7d32; }
header.failed { background: #b71c1c; } header.needs-attention { background: #e65100; }
header h1 { margin: 0 0 4px; font-size: 22px; } header p { margin: 0; }
main { padding: 8px 24px 24px; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; min-width: 90px; }
.card .value { font-size: 20px; font-weight: 600; } .card .label { color: #555; }
.card.unverified .value { color: #ef6c00; } .card.blocked .value { color: #c62828; } .card.safe .value { color: #2e7d32; }
#filters { display: flex; flex-wrap: wrap; gap: 6px; }
table { border-collapse: collapse; width: 100%; margin-top: 6px; }
th, td { border-bottom: 1px solid #eee; padding: 4px 6px; text-align: left; vertical-align: top; }
th button { font: inherit; font-weight: 600; border: 0; background: none; cursor: pointer; padding: 0; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; } th[aria-sort="descending"] button::after { content: " \\25BC"; }
.verdict { padding: 1px 6px; border-radius: 8px; color: #fff; }
.verdict.safe, .key.safe { background: #2e7d32; } .verdict.blocked, .key.blocked { background: #c62828; }
.verdict.unverified, .key.unverified { background: #ef6c00; }
.key { color: #fff; padding: 0 6px; border-radius: 8px; } .key.other { background: #9e9e9e; }
.key.in-use { background: #1565c0; } .key.resource { background: #5c6bc0; border-radius: 0; }
details.family { border: 1px solid #ddd; border-radius: 6px; margin: 4px 0; padding: 4px 8px; }
details.family summary { cursor: pointer; font-weight: 600; }
.graph { overflow: auto; max-height: 600px; }
svg.lineage text { font: 11px ui-monospace, monospace; fill: #1d1d1f; }
svg.lineage .node.image, svg.lineage .node.ancestor { cursor: pointer; }
svg.lineage .edge { fill: none; stroke: #777; stroke-width: 1.2; }
svg.lineage .edge.uses { stroke: #9fa8da; } svg.lineage .edge.descends { stroke: #1565c0; }
svg.lineage .edge.cross-region { stroke-dasharray: 6 3; } svg.lineage .edge.cross-account { stroke-dasharray: 2 3; stroke: #6a1b9a; }
.note { color: #555; }
`;
