# signet's container image (docs/packaging.md, "Container image"): Debian 12
# slim with signet installed by `cmake --install --strip`, SoftHSM2, OpenSC's
# pkcs11-tool and jq, running as the non-root user signet (uid 1001).
#   docker build -t signet .
#   docker run --rm signet signet --version
# No ENTRYPOINT: GitLab's `image:` runs a shell in the image for `script:`,
# which an ENTRYPOINT of signet would break; the command is the whole argv
# (docker run IMAGE signet ARGS...). The base image is pinned by tag; pin it
# by digest too where builds must be reproducible (debian:12-slim@sha256:...).

FROM debian:12-slim AS build
# What the build needs (scripts/setup-deps.sh has the full development set;
# the test suite is off here, so no cmocka).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libssl-dev libp11-kit-dev libsqlite3-dev libjansson-dev libpq-dev \
      libusb-1.0-0-dev libserialport-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Stripped: release builds carry -g3 (CMakeLists.txt). Headers, static
# libraries and .pc files are dropped: the image has no compiler to use them.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIGNET_TESTS=OFF \
      -DCMAKE_INSTALL_PREFIX=/usr/local \
 && cmake --build /build -j"$(nproc)" \
 && DESTDIR=/stage cmake --install /build --strip \
 && rm -rf /stage/usr/local/include /stage/usr/local/lib/pkgconfig \
 && rm -f /stage/usr/local/lib/*.a \
 && install -D -m 755 scripts/container-smoke.sh /stage/usr/local/share/signet/container-smoke.sh

FROM debian:12-slim
# The version is the project's (CMakeLists.txt; tests/install/test_dockerfile.sh
# keeps them equal). SIGNET_SOURCE: where the source lives, for the label.
ARG SIGNET_VERSION=0.1.0
ARG SIGNET_SOURCE=https://signet.example.org/
LABEL org.opencontainers.image.title="signet" \
      org.opencontainers.image.description="firmware signing, PKI and factory provisioning toolchain" \
      org.opencontainers.image.version="${SIGNET_VERSION}" \
      org.opencontainers.image.source="${SIGNET_SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/debian:12-slim"
# Runtime libraries: the .deb's Depends as dpkg-shlibdeps computes them
# (cmake/packaging.cmake); then SoftHSM2, OpenSC (pkcs11-tool) and jq.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libc6 libssl3 libp11-kit0 libsqlite3-0 libjansson4 libpq5 libserialport0 libusb-1.0-0 \
      softhsm2 opensc jq \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /stage/ /
# The user signet, and SoftHSM2 tokens in its home (a volume can be mounted
# on the tokens directory); SOFTHSM2_CONF is absolute, so it holds when a CI
# runner sets HOME elsewhere. uid 1001 is the user GitHub's hosted runners
# run as: the workspace they mount is then writable from the image.
RUN ldconfig \
 && groupadd --gid 1001 signet \
 && useradd --uid 1001 --gid 1001 --create-home --home-dir /home/signet --shell /bin/bash signet \
 && mkdir -p /home/signet/.config/softhsm2 /home/signet/.local/share/softhsm2/tokens \
 && printf 'directories.tokendir = /home/signet/.local/share/softhsm2/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
      >/home/signet/.config/softhsm2/softhsm2.conf \
 && chown -R signet:signet /home/signet \
 && chmod 700 /home/signet/.local/share/softhsm2/tokens
ENV SOFTHSM2_CONF=/home/signet/.config/softhsm2/softhsm2.conf \
    SIGNET_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so
USER signet
WORKDIR /home/signet
CMD ["signet", "--help"]
