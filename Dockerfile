# Production image: runs `chorus-gateway api` (default) or `chorus-gateway worker`.
#   docker build -t chorus-gateway .
#   docker run -e DATABASE_URL=... -e REDIS_URL=... chorus-gateway migrate
#   docker run -e DATABASE_URL=... -e REDIS_URL=... -p 8000:8000 chorus-gateway
#   docker run -e DATABASE_URL=... -e REDIS_URL=... chorus-gateway worker
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin gateway
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/chorus-gateway
COPY alembic.ini ./
COPY migrations ./migrations
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GATEWAY_ENVIRONMENT=production \
    GATEWAY_API_HOST=0.0.0.0
USER gateway
EXPOSE 8000
ENTRYPOINT ["chorus-gateway"]
CMD ["api"]
