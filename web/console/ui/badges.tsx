/**
 * Case signals shown at a glance, never by colour alone: each is a word with a shape (an inline
 * SVG, hidden from screen readers, which read the word).
 */
import { t } from '../i18n.js';
import { riskLabel } from './catalogues.js';

type Shape = 'circle' | 'triangle' | 'square' | 'diamond' | 'bolt' | 'clock' | 'dot';

const PATHS: Record<Shape, string> = {
  circle: 'M8 2a6 6 0 1 0 0 12A6 6 0 0 0 8 2z',
  triangle: 'M8 1.5 15 14H1z',
  square: 'M2 2h12v12H2z',
  diamond: 'M8 1 15 8 8 15 1 8z',
  bolt: 'M9.5 1 3 9h4l-1 6 7-8.5H9z',
  clock: 'M8 1a7 7 0 1 0 0 14A7 7 0 0 0 8 1zm.8 3v4.2l3 1.8-.8 1.3-3.6-2.2V4z',
  dot: 'M8 4a4 4 0 1 0 0 8 4 4 0 0 0 0-8z',
};

export function Icon({ shape }: { shape: Shape }) {
  return (
    <svg class={`icon icon-${shape}`} viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
      <path d={PATHS[shape]} />
    </svg>
  );
}

const RISK_SHAPES: Record<string, Shape> = { low: 'circle', medium: 'square', high: 'triangle', extreme: 'diamond' };

/** The risk level as a word and a shape (circle, square, triangle, diamond as it rises). */
export function RiskBadge({ level }: { level: string | null }) {
  if (!level) return <span class="badge badge-none">{t('risk.none')}</span>;
  return (
    <span class={`badge risk-${level}`}>
      <Icon shape={RISK_SHAPES[level] ?? 'dot'} />
      {riskLabel(level)}
    </span>
  );
}

export function UrgentBadge() {
  return (
    <span class="badge badge-urgent">
      <Icon shape="bolt" />
      {t('badge.urgent')}
    </span>
  );
}

export function OverdueBadge() {
  return (
    <span class="badge badge-overdue">
      <Icon shape="clock" />
      {t('badge.overdue')}
    </span>
  );
}

export function UnreadBadge({ count }: { count: number }) {
  if (count <= 0) return <span class="muted">{t('badge.noUnread')}</span>;
  return (
    <span class="badge badge-unread">
      <Icon shape="dot" />
      {t('badge.unread', { count })}
    </span>
  );
}
