// One copy of each repeated string: tens of thousands of images share a few owner IDs, states,
// device names and dates, and each answer parsed or date formatted is otherwise a string of its own.

/** A function returning, for equal strings, the first one it was given. For low-cardinality values only: it keeps every distinct value. */
export function interner(): (value: string) => string {
  const seen = new Map<string, string>();
  return (value) => {
    const known = seen.get(value);
    if (known !== undefined) return known;
    seen.set(value, value);
    return value;
  };
}
