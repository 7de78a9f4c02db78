# A stand-in for node:20-bookworm-slim where no registry can be reached: a Debian bookworm
# root filesystem (debootstrap --variant=minbase, then `docker import` as BASE) with the
# host's own node binary and npm, put where the official image has them.
# The context is a directory holding `node`, `npm/` (a copy of lib/node_modules/npm) and
# `ca-certificates.crt` (the host's CA bundle: where egress goes through a TLS-inspecting
# proxy, npm inside the build trusts only what the host trusts); scripts/docker-check.sh
# assembles it.
ARG BASE=local/bookworm
FROM ${BASE}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
CMD ["node"]
