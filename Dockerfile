FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.base
WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY . .
# Spanish pages need the compiled catalogue; msgfmt comes from gettext.
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/* \
 && SECRET_KEY=build-only python manage.py compilemessages --ignore=node_modules -v 0
COPY --from=assets /app/node_modules/chart.js/dist node_modules/chart.js/dist
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input -v 0 \
 && useradd --system --uid 1001 clinic && mkdir -p var anchor && chown -R clinic var anchor

USER clinic
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application"]
