# ts-sentinel: the daemon and what it loads at run time, nothing else.
#   docker build --build-arg BASE=node:20-bookworm-slim -t ts-sentinel .
#   docker run --read-only -v ts-sentinel-data:/data --network host ts-sentinel --port 26379
# BASE must provide node (>= 20) and npm on PATH, and useradd (any Debian-based Node image).
# The file works with the classic builder as well as BuildKit (no heredocs, no cache mounts).
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/copy-fixtures.js ./scripts/
COPY src ./src
# .dockerignore leaves test/ out of the context, so tsc compiles src/ alone.
RUN npm run build

# The production tree installed on its own, rather than pruned from the build's, so that
# it is exactly what the lockfile resolves without devDependencies.
FROM ${BASE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${BASE}
# A fixed uid so that a volume or a bind-mounted directory can be given to it ahead of time.
RUN groupadd --gid 10001 sentinel \
 && useradd --uid 10001 --gid sentinel --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin sentinel \
 && mkdir /data && chown sentinel:sentinel /data
WORKDIR /app
# package.json: "type": "module" makes node read bin/ and dist/ as ES modules.
COPY package.json sentinel.conf.example ./
COPY --from=deps /src/node_modules ./node_modules
COPY bin ./bin
# The build copies the captured redis-sentinel replies into dist/src/server/fixtures.
COPY --from=build /src/dist/src ./dist/src
COPY docker/entrypoint.sh ./docker/entrypoint.sh
ENV NODE_ENV=production
USER sentinel:sentinel
# The config lives here and is rewritten in place; everything else may be read-only. It is
# also the working directory, which a config rewrite records as `dir`.
VOLUME ["/data"]
WORKDIR /data
EXPOSE 26379
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD []
