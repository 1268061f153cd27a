# syntax=docker/dockerfile:1
# Build:   docker build -t arrears .
# Migrate: docker run --rm -e ARREARS_DATABASE_URL=postgresql+asyncpg://... arrears arrears migrate
# Serve:   docker run -p 8000:8000 -e ARREARS_DATABASE_URL=... -e ARREARS_ENV=production \
#            -e ARREARS_SECRET_KEY=... -e ARREARS_DATA_KEY=... arrears
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml constraints.txt README.md ./
COPY app ./app
RUN pip install -c constraints.txt .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN groupadd --system arrears && useradd --system --gid arrears --home /srv/arrears arrears
WORKDIR /srv/arrears
COPY --from=build /opt/venv /opt/venv
# The migrations are read at runtime by `arrears migrate` and by /readyz (schema head).
ENV ARREARS_MIGRATIONS_DIR=/srv/arrears/migrations
COPY --chown=arrears:arrears migrations ./migrations
COPY --chown=arrears:arrears alembic.ini ./
RUN mkdir -p var && chown arrears:arrears var
USER arrears
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/livez').status == 200 else 1)"
# Migrations are a separate step (`arrears migrate`), never run by the serving process.
CMD ["arrears", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
