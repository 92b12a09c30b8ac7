# One image for the four services, the portal and the operator's command.
#
#   docker build -t gongkai .
#   docker run --rm gongkai                                   # prints the `gongkai` help
#   docker run … gongkai python -m services.intake            # or casework, reporting, notify, portal
#   docker run … gongkai gongkai migrate                      # needs DATABASE_URL
#
# A service needs DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS and GONGKAI_JWT_SECRET (README,
# "Configuration"); deploy/compose.yaml and deploy/k8s/ show complete set-ups.

FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Only what the package is built from (no tests, benchmarks or docs); no dev extras.
COPY pyproject.toml ./
COPY gongkai ./gongkai
COPY services ./services
COPY shared ./shared
RUN pip install --upgrade pip \
 && pip install . \
 && gongkai --help >/dev/null


FROM python:3.11-slim

LABEL org.opencontainers.image.title="gongkai" \
      org.opencontainers.image.description="Disclosure on request (依申请公开): intake, casework, reporting, notify"

# A fixed numeric uid/gid, so Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 gongkai \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/gongkai --create-home \
            --shell /usr/sbin/nologin gongkai \
 && mkdir -p /var/lib/gongkai \
 && chown 10001:10001 /var/lib/gongkai

COPY --from=build /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GONGKAI_HOST=0.0.0.0 \
    GONGKAI_HOME=/var/lib/gongkai

WORKDIR /var/lib/gongkai
USER 10001:10001

# intake, casework, reporting, notify (GONGKAI_<SERVICE>_PORT changes them)
EXPOSE 8081 8082 8083 8084

CMD ["gongkai", "--help"]
