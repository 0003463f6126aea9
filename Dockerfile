# One image for the three services; docker-compose.yml picks the entry point per service.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Fixes to dependencies, applied by patch-package on install (see patches/).
COPY patches patches
# Exactly the lock file, which lists every platform's optional packages (written by Node 24's npm).
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY api api
COPY processor processor
COPY webhook-dispatcher webhook-dispatcher
COPY contracts contracts
COPY domain domain
COPY platform platform
COPY scripts scripts
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production KAFKAJS_NO_PARTITIONER_WARNING=1 NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=16"
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY migrations migrations
COPY package.json ./
USER node
CMD ["node", "dist/api/src/main.js"]
