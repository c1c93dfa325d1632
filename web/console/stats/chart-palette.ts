/**
 * The chart's colours: each at least 4.3:1 against the white of the page's cards (WCAG 1.4.11
 * asks 3:1 of graphics), told apart by hue, and the lines by their dash too, so that no series is
 * known by its colour alone. "Other" (the codes summed) is always the grey.
 */
export const PALETTE: readonly string[] = ['#0b4f8a', '#c45a00', '#1e6b34', '#a4161a', '#6a3d9a', '#00727d', '#8c510a', '#c2185b'];
export const OTHER_COLOUR = '#5c6670';

/** Dash patterns of the lines, in CSS pixels (solid first). */
export const DASHES: readonly number[][] = [[], [8, 4], [2, 3], [10, 3, 2, 3]];

export const colourOf = (index: number, other = false): string => (other ? OTHER_COLOUR : PALETTE[index % PALETTE.length]!);
export const dashOf = (index: number): number[] => DASHES[index % DASHES.length]!;
