import { eq, isNotNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { webhookEndpoints } from '../db/schema/index.js';
import { sealWebhookUrl, webhookOrigin } from './webhook-url.js';

/**
 * Seals the webhook URLs that a release before URL sealing stored in clear (`url_plaintext`), and
 * clears them. It cannot be a SQL migration: the key (a SERVER_SECRET subkey) is not in the
 * database. Every process runs it at start, right after the migrations (src/main.ts); on a
 * database with nothing left to seal it is one query on a small table. Two processes starting
 * together are safe: the rows are locked, and the second finds them sealed (PostgreSQL re-checks
 * the condition of a row it waited for). Returns how many rows it sealed.
 */
export async function sealPlaintextWebhookUrls(db: Db, urlKey: Uint8Array): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx.select({ id: webhookEndpoints.id, url: webhookEndpoints.urlPlaintext }).from(webhookEndpoints).where(isNotNull(webhookEndpoints.urlPlaintext)).for('update');
    for (const row of rows) {
      const url = row.url!;
      let origin: string;
      try {
        origin = webhookOrigin(new URL(url));
      } catch {
        // Registration only ever stored parsed URLs; should one be unreadable, it still must not stay in clear.
        origin = 'invalid:';
      }
      await tx.update(webhookEndpoints).set({ urlSealed: sealWebhookUrl(url, row.id, urlKey), urlOrigin: origin, urlPlaintext: null }).where(eq(webhookEndpoints.id, row.id));
    }
    return rows.length;
  });
}
