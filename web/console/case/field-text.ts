/**
 * The text of an opened sealed field as a reader wants it. Clients seal a field as a plain string
 * (the SDK's filings) or as a small object (the defender page: `{ name }` for the identity,
 * `{ text }` for the narrative and the contact); a reader sees the words, never the JSON around
 * them. An object with other parts shows one "part: value" line each.
 */
export function fieldText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && typeof entries[0]![1] === 'string') return entries[0]![1];
    if (entries.length > 0 && entries.every(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) return entries.map(([k, v]) => `${k}: ${String(v)}`).join('\n');
  }
  return JSON.stringify(value);
}
