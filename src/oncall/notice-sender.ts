import { createTransport, type Transporter } from 'nodemailer';
import { fetch } from 'undici';
import type { Clock } from '../lib/clock.js';
import { webhookSignature } from '../notifications/webhook-secret.js';

export type NoticeLanguage = 'fr' | 'en';

/**
 * What an on-call notice says: that an urgent case needs the person, nothing more. Never the case
 * reference, a name or anything of the case: the notice travels through mail servers and SMS
 * gateways outside the mechanism, and a phone may be seen by others.
 */
export const NOTICE_TEXT: Record<NoticeLanguage, { subject: string; text: string }> = {
  fr: { subject: 'egide : astreinte', text: 'egide : un cas urgent a besoin de vous. Ouvrez la console.' },
  en: { subject: 'egide: on call', text: 'egide: an urgent case needs you. Open the console.' },
};

export interface NoticeSenderConfig {
  SMTP_URL: string;
  SMTP_FROM: string;
  ONCALL_SMS_URL: string;
  ONCALL_SMS_SECRET: string;
}

/** What a failed send keeps: a class of error (a code, a status), never an address or a number. */
function errorClass(err: unknown): string {
  if (!(err instanceof Error)) return 'send failed';
  const codeOf = (e: unknown): string | null => {
    const code = typeof e === 'object' && e !== null && 'code' in e ? e.code : null;
    return typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? code : null;
  };
  const status = 'responseCode' in err && typeof err.responseCode === 'number' ? ` ${err.responseCode}` : '';
  const cause = codeOf(err.cause);
  return `${codeOf(err) ?? err.name}${status}${cause ? ` (${cause})` : ''}`.slice(0, 100);
}

export type SendResult = { ok: true } | { ok: false; error: string };

/**
 * Sends the on-call notices: e-mail through SMTP_URL (nodemailer), SMS through the gateway's
 * HTTP hook (POST JSON {to, text}, signed like the partners' webhooks: X-Egide-Timestamp and
 * X-Egide-Signature: sha256=HMAC(secret, timestamp.body)). Each channel is on only when configured.
 */
export function createNoticeSender(config: NoticeSenderConfig, deps: { clock: Clock; timeoutMs: number }) {
  const transport: Transporter | null = config.SMTP_URL
    ? createTransport({ url: config.SMTP_URL, connectionTimeout: deps.timeoutMs, greetingTimeout: deps.timeoutMs, socketTimeout: deps.timeoutMs })
    : null;
  return {
    channels: { email: transport !== null, sms: config.ONCALL_SMS_URL !== '' },

    async email(to: string, language: NoticeLanguage): Promise<SendResult> {
      if (!transport) return { ok: false, error: 'no SMTP_URL' };
      const { subject, text } = NOTICE_TEXT[language];
      try {
        await transport.sendMail({ from: config.SMTP_FROM, to, subject, text });
        return { ok: true };
      } catch (err) {
        return { ok: false, error: errorClass(err) };
      }
    },

    async sms(to: string, language: NoticeLanguage): Promise<SendResult> {
      if (!config.ONCALL_SMS_URL) return { ok: false, error: 'no ONCALL_SMS_URL' };
      const body = JSON.stringify({ to, text: NOTICE_TEXT[language].text });
      const timestamp = String(Math.floor(deps.clock.now().getTime() / 1000));
      try {
        const res = await fetch(config.ONCALL_SMS_URL, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-egide-timestamp': timestamp, 'x-egide-signature': webhookSignature(config.ONCALL_SMS_SECRET, timestamp, body) },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(deps.timeoutMs),
        });
        await res.body?.cancel();
        return res.status >= 200 && res.status < 300 ? { ok: true } : { ok: false, error: `HTTP ${res.status}` };
      } catch (err) {
        return { ok: false, error: errorClass(err) };
      }
    },

    close(): void {
      transport?.close();
    },
  };
}
