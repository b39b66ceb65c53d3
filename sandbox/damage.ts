// Damaged answers (`FaultRule.answer`): a call that was served, whose answer then arrives cut
// short, without the list it must carry, or with a malformed ID. Pure functions over the body.

import type { AnswerDamage } from './types';

/** The body with `damage` applied; `json` selects the JSON rules (else XML). */
export function damageAnswer(body: string, damage: AnswerDamage, json: boolean, occurrence = 0): string {
  switch (damage) {
    case 'truncate':
      return body.slice(0, Math.floor(body.length / 2));
    case 'drop-list':
      return json ? dropJsonList(body) : dropXmlList(body);
    case 'corrupt-id':
      return corruptId(body, occurrence);
  }
}

/** Removes the element that holds the first `<item>` or `<member>`, or else the first empty list element. */
export function dropXmlList(xml: string): string {
  const first = /<(item|member)>/.exec(xml);
  if (first) {
    const opening = xml.lastIndexOf('<', first.index - 1);
    const name = /^<([A-Za-z][\w.-]*)[^>]*>$/.exec(xml.slice(opening, xml.indexOf('>', opening) + 1))?.[1];
    if (name !== undefined) {
      const end = closingOf(xml, name, opening);
      if (end !== undefined) return xml.slice(0, opening) + xml.slice(end);
    }
  }
  const empty = /<([A-Za-z]\w*(?:Set|s|Permission))\s*\/>|<([A-Za-z]\w*(?:Set|s|Permission))><\/\2>/.exec(xml);
  return empty ? xml.slice(0, empty.index) + xml.slice(empty.index + empty[0].length) : xml;
}

/** The index just past the element `name` opened at `start`, counting nested elements of that name. */
function closingOf(xml: string, name: string, start: number): number | undefined {
  const tag = new RegExp(`<(/?)${name}(?:\\s[^>]*)?(/?)>`, 'g');
  tag.lastIndex = start;
  let depth = 0;
  for (let m = tag.exec(xml); m !== null; m = tag.exec(xml)) {
    if (m[2] === '/') {
      if (depth === 0) return m.index + m[0].length;
    } else if (m[1] === '/') {
      depth -= 1;
      if (depth === 0) return m.index + m[0].length;
    } else {
      depth += 1;
    }
  }
  return undefined;
}

/** Removes the first top-level array of a JSON answer (else its first object member). */
export function dropJsonList(text: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return text;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return text;
  const entries = Object.entries(doc as Record<string, unknown>);
  const victim =
    entries.find(([, v]) => Array.isArray(v)) ?? entries.find(([, v]) => v !== null && typeof v === 'object');
  if (victim === undefined) return text;
  return JSON.stringify(Object.fromEntries(entries.filter(([k]) => k !== victim[0])));
}

// An AMI ID, or an account ID standing alone as a value (not inside an ARN).
const ID = /ami-[0-9a-f]{8,17}\b|(?<=[>"])\d{12}(?=[<"])/g;

/** Rewrites the `occurrence`-th ID (modulo their number): an AMI ID in upper case, an account ID one digit short. */
export function corruptId(body: string, occurrence: number): string {
  const found = [...body.matchAll(ID)];
  if (found.length === 0) return body;
  const m = found[((occurrence % found.length) + found.length) % found.length] as RegExpMatchArray;
  const id = m[0];
  const bad = id.startsWith('ami-') ? `ami-${id.slice(4).toUpperCase().replace(/^([0-9]*)$/, '$1X')}` : id.slice(0, 11);
  const at = m.index ?? 0;
  return body.slice(0, at) + bad + body.slice(at + id.length);
}
