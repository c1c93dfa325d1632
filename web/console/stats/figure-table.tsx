/**
 * A table of figures as a screen reader and a printer read it: a caption, column and row headers
 * (scope), a totals row and column, each cell marked with its row and column codes
 * (`data-row`, `data-col`) and, for a published report, its flag. A wide table scrolls sideways
 * within a region named after it and reachable from the keyboard, not the page.
 */
import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import { t } from '../i18n.js';
import { count } from './stats-words.js';

/** A figure as printed: the count, or what stands for it (`< 5`, `x`, a duration). */
export interface FigureCell {
  text: string;
  flag?: string | null;
}

export interface FigureRow {
  code: string;
  label: string;
  cells: FigureCell[];
  total?: FigureCell;
}

interface Props {
  caption: ComponentChildren;
  /** The header of the column of row headers. */
  corner: string;
  columns: Array<{ code: string; label: string }>;
  rows: FigureRow[];
  /** The totals row (and its cell under the totals column). */
  totals?: { cells: FigureCell[]; total?: FigureCell } | undefined;
  /** The header of the totals column, when the rows have one. */
  totalColumn?: string | undefined;
  class?: string;
}

export const figure = (n: number | null | undefined): FigureCell => ({ text: n === null || n === undefined ? '' : count(n) });

function Cell({ cell, row, col }: { cell: FigureCell; row: string; col: string }) {
  return (
    <td data-row={row} data-col={col} data-flag={cell.flag ?? undefined} class={cell.flag ? 'stats-hidden' : undefined}>
      {cell.text}
    </td>
  );
}

export function FigureTable({ caption, corner, columns, rows, totals, totalColumn, ...rest }: Props) {
  const id = useId();
  const total = totalColumn ?? t('stats.total');
  return (
    <div class="table-scroll stats-table-box" role="region" aria-labelledby={`${id}-caption`} tabIndex={0}>
      <table class={`stats-table ${rest.class ?? ''}`}>
        <caption id={`${id}-caption`}>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{corner}</th>
            {columns.map((c) => (
              <th scope="col" key={c.code} data-col={c.code}>
                {c.label}
              </th>
            ))}
            {rows.some((r) => r.total) && <th scope="col">{total}</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.code} data-row={r.code}>
              <th scope="row">{r.label}</th>
              {r.cells.map((c, j) => (
                <Cell key={columns[j]?.code ?? j} cell={c} row={r.code} col={columns[j]?.code ?? String(j)} />
              ))}
              {r.total && <Cell cell={r.total} row={r.code} col="total" />}
            </tr>
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={columns.length + 1} class="muted">
                {t('stats.empty')}
              </td>
            </tr>
          )}
        </tbody>
        {totals && rows.length > 0 && (
          <tfoot>
            <tr data-row="total">
              <th scope="row">{t('stats.total')}</th>
              {totals.cells.map((c, j) => (
                <Cell key={columns[j]?.code ?? j} cell={c} row="total" col={columns[j]?.code ?? String(j)} />
              ))}
              {totals.total && <Cell cell={totals.total} row="total" col="total" />}
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}
