# Show, Attend and Tell captioning service.
#
#   docker build --target cpu -t show-attend-tell:cpu .      # CPU image (tfjs wasm backend + onnxruntime CPU)
#   docker build --target gpu -t show-attend-tell:gpu .      # CUDA 11.8 image (@tensorflow/tfjs-node-gpu)
#
# ALWAYS pass --target. The stages are ordered cpu-first on purpose: Docker's legacy builder (no
# BuildKit) builds every stage that comes before the target, so putting the CUDA stages last
# lets `--target cpu` build without ever pulling nvidia/cuda. (Without --target you get the
# last stage, i.e. the GPU image.)
#
# The encoder (models/mobilenetv2-12-int8.onnx, never committed) is baked into the image, from
# one of two sources chosen with --build-arg ENCODER_SOURCE=...:
#   auto      (default) take it from models/ of the build context when it is there, else
#             download it from the URL in models/encoder.json
#   context   it must be in models/ of the build context (offline builds, CI)
#   download  always download (optionally from --build-arg ENCODER_URL=<mirror>)
# Either way its sha256 and size are checked against models/encoder.json; a mismatch fails the
# build. See deploy/README.md.
#
# Only classic Dockerfile syntax is used (no RUN --mount, no heredocs) so the legacy builder works.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04

# ---------------------------------------------------------------------------------------------
# deps: production node_modules for the CPU image.
#  * --ignore-scripts: the Node 20 image's npm 10 ignores package.json "allowScripts" and would
#    run @tensorflow/tfjs-node(-gpu)'s install scripts, which download libtensorflow. Nothing we
#    need has a required script: sharp 0.34 loads its prebuilt @img/sharp-* packages (its script
#    only falls back to a source build), onnxruntime-node 1.22 ships its CPU binary in the package
#    (its postinstall only fetches CUDA/TensorRT extras; --ignore-scripts skips it; elsewhere ONNXRUNTIME_NODE_INSTALL=skip),
#    esbuild (used by tsx) finds @esbuild/linux-* without its postinstall, protobufjs' is a notice.
#  * NOT --omit=optional: that would also drop sharp's @img/* and esbuild's @esbuild/* platform
#    packages (they are optional dependencies too). Instead the two tfjs-node packages, which
#    would be left without their native binding anyway, are taken out of package.json and
#    pruned, together with what only they need (@tensorflow/tfjs with layers/converter/webgl,
#    core-js, node-pre-gyp: ~250 MB); src/runtime/backend.ts then picks the wasm backend. The
#    package.json of the final image is the original one (copied from the context).
#  * onnxruntime-node ships binaries for every OS/arch (~240 MB); keep only this platform's.
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=warn \
 && npm pkg delete optionalDependencies \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=warn \
 && test ! -e node_modules/@tensorflow/tfjs-node && test ! -e node_modules/@tensorflow/tfjs \
 && ort=node_modules/onnxruntime-node/bin \
 && plat=$(node -p process.platform) && arch=$(node -p process.arch) \
 && for d in "$ort"/napi-v*/*; do [ "$(basename "$d")" = "$plat" ] || rm -rf "$d"; done \
 && for d in "$ort"/napi-v*/"$plat"/*; do [ "$(basename "$d")" = "$arch" ] || rm -rf "$d"; done \
 && test -n "$(ls "$ort"/napi-v*/"$plat"/"$arch"/onnxruntime_binding.node)" \
 && node -e "require('sharp'); require('onnxruntime-node'); require('esbuild').transformSync('let a: number = 1', { loader: 'ts' })" \
 && npm cache clean --force --loglevel=error && rm -rf /root/.npm /tmp/*

# ---------------------------------------------------------------------------------------------
# encoder: models/ (decoders, encoder manifest, labels) + the verified encoder weights.
# COPY models/ copies whatever is there, so the .onnx comes along only if it is in the context.
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS encoder
ARG ENCODER_SOURCE=auto
ARG ENCODER_URL=
WORKDIR /build
COPY deploy/fetch-encoder.mjs ./
COPY models/ ./models/
RUN ENCODER_URL="$ENCODER_URL" node fetch-encoder.mjs models "$ENCODER_SOURCE" \
 && rm -f models/*.download \
 && ls -la models

# ---------------------------------------------------------------------------------------------
# cpu: the runtime image.
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS cpu
# tini: PID 1 that forwards SIGTERM to node and reaps zombies (no npm wrapper in between).
# fontconfig + fonts-dejavu-core: sharp renders the SVG text of the attention overlays.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini fontconfig fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
# MALLOC_MMAP_THRESHOLD_: as npm start sets it (load-time heap fragmentation, see docs/architecture.md "Memory").
ENV NODE_ENV=production \
    MALLOC_MMAP_THRESHOLD_=131072 \
    HOST=0.0.0.0 \
    PORT=3000 \
    MODELS_DIR=/app/models \
    ALLOW_DOWNLOAD=false \
    XDG_CACHE_HOME=/tmp/.cache
WORKDIR /app
# Most stable layers first: dependencies, then models, then the sources (change most often).
# Everything stays owned by root: the non-root user can read but not modify the app.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=encoder /build/models ./models
COPY package.json package-lock.json ./
COPY src ./src
LABEL org.opencontainers.image.title="show-attend-tell" \
      org.opencontainers.image.description="Image captioning with visual attention (CPU)" \
      org.opencontainers.image.licenses="Apache-2.0"
USER node
EXPOSE 3000
# Ready (models loaded), not merely alive. Node's fetch: the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
# Sources run through tsx's loader (a regular dependency), without npm in between.
CMD ["node", "--import", "tsx", "src/main.ts"]

# =============================================================================================
# GPU image. NOT BUILT IN THIS REPOSITORY'S CI: it needs the nvidia/cuda base image from Docker
# Hub and, for @tensorflow/tfjs-node-gpu's install script, storage.googleapis.com (libtensorflow
# 2.9.1 GPU, which wants CUDA 11.x + cuDNN 8 -- hence CUDA 11.8). Run it with the NVIDIA
# Container Toolkit: docker run --gpus all ...  (or the `gpu` profile in docker-compose.yml).
# =============================================================================================
FROM ${CUDA_IMAGE} AS gpu-base
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini fontconfig fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
# Node 20 + npm taken from the official Node image (built for glibc >= 2.28; Ubuntu 22.04 has 2.35).
COPY --from=deps /usr/local/bin/node /usr/local/bin/node
COPY --from=deps /usr/local/lib/node_modules /usr/local/lib/node_modules
COPY --from=deps /usr/local/include/node /usr/local/include/node
RUN ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && (getent group node >/dev/null || groupadd --gid 1000 node) \
 && (id node >/dev/null 2>&1 || useradd --uid 1000 --gid node --shell /bin/bash --create-home node) \
 && node --version && npm --version

FROM gpu-base AS gpu-deps
# Compilers only in case node-pre-gyp has to fall back to building the binding from source.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Install without scripts, then run exactly one install script: tfjs-node-gpu's, which downloads
# libtensorflow (GPU) and its prebuilt N-API binding. The CPU-only tfjs-node is removed so the
# service cannot silently fall back to it.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=warn \
 && rm -rf node_modules/@tensorflow/tfjs-node \
 && npm rebuild @tensorflow/tfjs-node-gpu --foreground-scripts \
 && find node_modules/@tensorflow/tfjs-node-gpu/lib -name tfjs_binding.node | grep -q . \
 && ls node_modules/@tensorflow/tfjs-node-gpu/deps/lib/ \
 && npm cache clean --force --loglevel=error && rm -rf /root/.npm /tmp/*

FROM gpu-base AS gpu
# MALLOC_MMAP_THRESHOLD_: as npm start sets it (load-time heap fragmentation, see docs/architecture.md "Memory").
ENV NODE_ENV=production \
    MALLOC_MMAP_THRESHOLD_=131072 \
    HOST=0.0.0.0 \
    PORT=3000 \
    MODELS_DIR=/app/models \
    ALLOW_DOWNLOAD=false \
    XDG_CACHE_HOME=/tmp/.cache \
    TFJS_BACKEND=node-gpu \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
WORKDIR /app
COPY --from=gpu-deps /app/node_modules ./node_modules
COPY --from=encoder /build/models ./models
COPY package.json package-lock.json ./
COPY src ./src
LABEL org.opencontainers.image.title="show-attend-tell" \
      org.opencontainers.image.description="Image captioning with visual attention (CUDA 11.8, tfjs-node-gpu)" \
      org.opencontainers.image.licenses="Apache-2.0"
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=180s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/main.ts"]
