# syntax=docker/dockerfile:1
# Build: docker build -t pgbackup .
# Run:   docker run -p 8080:8080 -e PGBACKUP_SERVE_TOKEN=$(openssl rand -hex 24) \
#          -v /etc/pgbackup/policies:/etc/pgbackup/policies:ro -v pgbackup-state:/var/lib/pgbackup pgbackup
#        (serve listens on all interfaces inside the container, so it refuses to start without a token)
# (Not built on the development machines: they have no Docker engine.)

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props PgBackup.sln ./
COPY src/ src/
RUN dotnet publish src/PgBackup.Cli/PgBackup.Cli.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# PostgreSQL binaries serve `restore --start` and `drill`; they must match the cluster's major
# version, so they come from the PGDG repository whatever the base image's own default is.
ARG PG_MAJOR=15
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-common ca-certificates \
 && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
 && apt-get install -y --no-install-recommends postgresql-${PG_MAJOR} \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /opt/pgbackup
RUN ln -s /opt/pgbackup/pgbackup /usr/local/bin/pgbackup \
 && mkdir -p /var/lib/pgbackup && chown postgres:postgres /var/lib/pgbackup
USER postgres
EXPOSE 8080
VOLUME ["/etc/pgbackup/policies", "/var/lib/pgbackup"]
ENTRYPOINT ["pgbackup"]
# Job history lives in the SQLite file on the state volume; use --storage postgres:env:VAR for a shared storage.
CMD ["serve", "--policies", "/etc/pgbackup/policies", "--urls", "http://0.0.0.0:8080", "--storage", "sqlite:/var/lib/pgbackup/serve.db"]
