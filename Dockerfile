# syntax=docker/dockerfile:1
# Tributary's image: a build stage compiles the native addon (storage/native/) and the
# TypeScript, then drops dev dependencies; the runtime stage holds only what `tributary` runs.
# Not built in the repository's CI (no Docker engine there): test/integration/deploy-files.test.ts
# checks the stages and runs the same commands as processes. Operations: deploy/OPERATIONS.md.

FROM node:20-bookworm AS build
# The addon's toolchain (README: python3, make, g++); the full image has them, this pins the intent.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json binding.gyp ./
COPY storage/native/ storage/native/
# --ignore-scripts: the dev dependencies' native builds (lmdb, better-sqlite3) serve only the
# benchmarks; our own addon is built on the next line with npm's bundled node-gyp.
RUN npm ci --ignore-scripts
RUN npm run install
COPY tsconfig.json ./
COPY types/ types/
COPY protocol/ protocol/
COPY storage/ storage/
COPY server/ server/
COPY namesrv/ namesrv/
COPY broker/ broker/
COPY client/ client/
COPY cli/ cli/
COPY bin/ bin/
RUN npm run build \
 && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    TRIBUTARY_DATA=/var/lib/tributary
RUN groupadd --system tributary \
 && useradd --system --gid tributary --home-dir /var/lib/tributary --shell /usr/sbin/nologin tributary \
 && mkdir -p /var/lib/tributary \
 && chown tributary:tributary /var/lib/tributary
WORKDIR /opt/tributary
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/dist/ dist/
COPY --from=build /src/bin/ bin/
# dist/storage/native-binding.js loads ../../build/Release/tributary_native.node.
COPY --from=build /src/build/Release/*.node build/Release/
USER tributary
# The store: commit log segments, consume queues, index, checkpoint, broker state snapshots.
VOLUME ["/var/lib/tributary"]
# Name server, broker (remoting), broker HTTP (/metrics, /healthz, /readyz).
EXPOSE 9876 10911 5557
# Ready = store recovered, registered with a name server, accepting writes (the broker's /readyz).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:5557/readyz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/tributary.js"]
# Alone, the image runs a name server and a broker in one process; compose.yaml runs them apart.
CMD ["start", "--data", "/var/lib/tributary"]
