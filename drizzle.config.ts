import { defineConfig } from 'drizzle-kit';

// Migrations are generated from the TypeScript schema (`npx drizzle-kit generate`) and applied
// by the service at start (`src/db/migrate.ts`); hand-written SQL (triggers) lives in custom
// migrations made with `npx drizzle-kit generate --custom`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './drizzle',
  // drizzle-kit's database commands (migrate, push, introspect) change the schema: they connect as
  // the owner role, never as the application role of DATABASE_URL (README, "Database roles").
  dbCredentials: { url: process.env.DATABASE_OWNER_URL || 'postgres://egide_owner@127.0.0.1:5432/egide' },
});
