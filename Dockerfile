# syntax=docker/dockerfile:1
#
# One image, these entry points (see docker-compose.yml):
#   node dist/src/main.js                API and workers in one process (the default)
#   node dist/src/api-main.js            the API alone
#   node dist/workers/main.js            the workers alone
#   node dist/src/cli/main.js db migrate the database roles and migrations, as a step of its own
#   node dist/workers/healthcheck.js F   a worker's healthcheck (its heartbeat file F)
#   node dist/src/cli/main.js backup D   a backup into directory D (and `restore D`; README, "Backup and restore")
# Each checks its configuration and PostgreSQL/Redis, applies pending migrations when it has the
# owner role's DATABASE_OWNER_URL (under an advisory lock; README, "Database roles") and then
# serves. Configuration comes from the environment only; the secrets (JWT_SIGNING_KEY,
# AUDIT_SIGNING_KEY, SERVER_SECRET, the database passwords) are never baked into the image.

# The Node.js release CI tests on: the same version as tools/use-node.sh pins (a test checks it).
ARG NODE_IMAGE=node:26.12.1-trixie-slim

# 1. Compile TypeScript to dist/ (needs the dev dependencies: the compiler).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# tools/ holds a local stand-in package that package.json depends on (see README, Notes).
COPY tools ./tools
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
RUN npx tsc -p tsconfig.build.json
# The web applications (web/) into dist/web: esbuild is a dev dependency, so they are built here.
# The build context has no .git: pass the commit (EGIDE_COMMIT=$(git rev-parse HEAD)) so that the
# deployment manifest names it and anyone can check the image's files (`egide web verify`), and
# the intake key to pin in the defender's page (EGIDE_INTAKE_KEY, as `egide bootstrap` printed it).
ARG EGIDE_COMMIT=unknown
ARG EGIDE_INTAKE_KEY=
COPY web ./web
RUN node tools/build-web.mjs --commit "$EGIDE_COMMIT" ${EGIDE_INTAKE_KEY:+--intake-key "$EGIDE_INTAKE_KEY"}

# 2. Production dependencies only (no dependency needs an install script).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY tools ./tools
COPY patches ./patches
# patches/: fixes to dependencies not yet released upstream (see README, Notes), applied by patch-package.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npx --no-install patch-package && npm cache clean --force

# 3. What runs: compiled JS, production node_modules, and what the app reads at run time from
#    the project root (drizzle/ migrations, policies/). Owned by root, run as the unprivileged
#    `node` user, so the process cannot change its own code or rules.
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/tools ./tools
COPY --from=build /app/dist ./dist
COPY drizzle ./drizzle
COPY policies ./policies
# pg_dump and pg_restore, for `backup` and `restore` (a client release at least the server's).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client && rm -rf /var/lib/apt/lists/*
ENV HOST=0.0.0.0 \
    PORT=3000
USER node
EXPOSE 3000
# node is PID 1 (no npm wrapper), so SIGTERM reaches the graceful shutdown directly.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
