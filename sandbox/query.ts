import type { ParamValue, Params } from './types';

interface Node {
  value?: string;
  children: Map<string, Node>;
}

/**
 * Decodes AWS query parameters into a tree: `Filter.1.Name=a&Filter.1.Value.1=b` becomes
 * `{ Filter: [{ Name: 'a', Value: ['b'] }] }`. A level whose keys are all numbers becomes an
 * array ordered by number (AWS lists are 1-based and may be sparse).
 */
export function decodeQuery(pairs: Iterable<[string, string]>): Params {
  const root: Node = { children: new Map() };
  for (const [key, value] of pairs) {
    let node = root;
    for (const seg of key.split('.')) {
      let next = node.children.get(seg);
      if (!next) {
        next = { children: new Map() };
        node.children.set(seg, next);
      }
      node = next;
    }
    node.value = value;
  }
  const out = toValue(root);
  return typeof out === 'object' && !Array.isArray(out) ? out : {};
}

function toValue(node: Node): ParamValue {
  if (node.children.size === 0) return node.value ?? '';
  const keys = [...node.children.keys()];
  if (keys.every((k) => /^\d+$/.test(k))) {
    return keys
      .map((k) => [Number(k), node.children.get(k) as Node] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, n]) => toValue(n));
  }
  // No prototype: a parameter named `__proto__` or `constructor` is a parameter like any other.
  const obj = Object.create(null) as { [key: string]: ParamValue };
  for (const [k, n] of node.children) obj[k] = toValue(n);
  return obj;
}

/** A string param, or undefined when absent or not a string. */
export function str(params: Params | ParamValue | undefined, key: string): string | undefined {
  if (!params || typeof params !== 'object' || Array.isArray(params)) return undefined;
  const v = Object.hasOwn(params, key) ? params[key] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** A list of strings (`ImageId.1`, `ImageId.2`, ...). */
export function strList(params: Params | ParamValue | undefined, key: string): string[] {
  if (!params || typeof params !== 'object' || Array.isArray(params)) return [];
  const v = Object.hasOwn(params, key) ? params[key] : undefined;
  if (v === undefined) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** A list of objects (`Filter.1.Name`, ...). */
export function objList(params: Params | ParamValue | undefined, key: string): Params[] {
  if (!params || typeof params !== 'object' || Array.isArray(params)) return [];
  const v = params[key];
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is Params => typeof x === 'object' && !Array.isArray(x));
}

export function bool(params: Params, key: string): boolean | undefined {
  const v = str(params, key);
  if (v === undefined) return undefined;
  return v.toLowerCase() === 'true';
}

/** JSON with sorted keys: the same params always give the same string. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** True when every key of `pattern` is present in `value` with a matching value (recursively). */
export function containsParams(value: ParamValue | undefined, pattern: ParamValue): boolean {
  if (value === undefined) return false;
  if (typeof pattern === 'string') return typeof value === 'string' && value === pattern;
  if (Array.isArray(pattern)) {
    return Array.isArray(value) && value.length === pattern.length && pattern.every((p, i) => containsParams(value[i], p));
  }
  if (typeof value !== 'object' || Array.isArray(value)) return false;
  return Object.entries(pattern).every(([k, p]) => containsParams(Object.hasOwn(value, k) ? value[k] : undefined, p));
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

/** `<name>text</name>`, or '' when the value is undefined. */
export function leaf(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** `<name><item>..</item>...</name>` (EC2 lists). */
export function itemSet(name: string, items: string[]): string {
  return `<${name}>${items.map((i) => `<item>${i}</item>`).join('')}</${name}>`;
}

/** Converts AWS glob filters (`*`, `?`) to a RegExp (case-sensitive, whole string). */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i] as string;
    if (c === '\\' && i + 1 < glob.length) {
      i += 1;
      re += (glob[i] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}
