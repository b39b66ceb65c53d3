// JSON for values holding Maps (the gathered evidence), so organization steps can hand their
// results over through S3: Maps become {"$map": [[key, value], ...]} and come back as Maps.

export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (item instanceof Map ? { $map: [...item.entries()] } : item));
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text, (_key, item: unknown) => {
    if (typeof item === 'object' && item !== null && Object.hasOwn(item, '$map') && Array.isArray((item as { $map: unknown }).$map)) {
      return new Map((item as { $map: [unknown, unknown][] }).$map);
    }
    return item;
  }) as T;
}
