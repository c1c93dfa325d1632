import { defineConfig } from 'drizzle-kit';

// Migrations are generated from the TypeScript schema (`npx drizzle-kit generate`) and applied
// by the service at start (`src/db/migrate.ts`); hand-written SQL (triggers) lives in custom
// migrations made with `npx drizzle-kit generate --custom`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './drizzle',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/egide' },
});
