# mqchat: one image for every role (`mqchat dev`, `mqchat broker`, `mqchat bridge`); the role is the command.
# The server runs as compiled JavaScript (`npm run build` -> dist/), built in a first stage that has the
# dev dependencies (TypeScript); the image keeps tsx only for the other commands (bench, client CLI).

FROM node:20-slim AS build
WORKDIR /app
# Not `npm ci`: the lock file records biome's optional per-platform binaries without versions (see .ci/run).
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so source edits do not reinstall them.
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .
# After the sources, so the build is newer than every one of them (bin/mqchat.js runs it only then).
COPY --from=build /app/dist ./dist

# Embedded mode (`mqchat dev`) keeps its data here; cluster roles keep nothing on disk.
RUN mkdir -p /app/data && chown node:node /app/data
ENV MQCHAT_DATA_DIR=/app/data
USER node

# MQTT over TCP, HTTP (REST API, /mqtt WebSocket, /healthz, /readyz, /metrics)
EXPOSE 1883 8080

ENTRYPOINT ["node", "bin/mqchat.js"]
CMD ["dev"]
