# Builds the images manifests/metallb.yaml names:
#   docker build --target controller -t metallb-cpp/controller:v0.1.0 .
#   docker build --target speaker    -t metallb-cpp/speaker:v0.1.0 .
# The build stage uses only Debian's packages (tools/install.sh) and Bazel
# offline, as on a development machine.

FROM debian:bookworm AS build
WORKDIR /src
COPY tools/install.sh tools/install.sh
RUN bash tools/install.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN bazel build -c opt //cmd/controller:controller //cmd/speaker:speaker && \
    mkdir -p /out && \
    cp bazel-bin/cmd/controller/controller bazel-bin/cmd/speaker/speaker /out/

# The shared libraries both daemons link, and nothing else.
FROM debian:bookworm-slim AS runtime
RUN apt-get update -qq && \
    apt-get install -y -qq --no-install-recommends \
      libabsl20220623 libbrotli1 libc-ares2 libcpp-httplib0.11 libgrpc++1.51 \
      libgrpc29 libnl-3-200 libnl-route-3-200 libprotobuf32 libre2-9 libssl3 \
      libyaml-cpp0.7 ca-certificates && \
    rm -rf /var/lib/apt/lists/*
USER 65534:65534

FROM runtime AS controller
COPY --from=build /out/controller /bin/controller
ENTRYPOINT ["/bin/controller"]

# The speaker needs NET_RAW (granted in the DaemonSet) and runs as root inside
# the container so the capability applies to its raw sockets.
FROM runtime AS speaker
USER 0:0
COPY --from=build /out/speaker /bin/speaker
ENTRYPOINT ["/bin/speaker"]
