# syntax=docker/dockerfile:1
# Build: docker build -t pgbackup .
# Run:   docker run -v /etc/pgbackup/policies:/etc/pgbackup/policies:ro pgbackup
# (Not built on the development machines: they have no Docker engine.)

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props PgBackup.sln ./
COPY src/ src/
RUN dotnet publish src/PgBackup.Cli/PgBackup.Cli.csproj -c Release -o /app --no-self-contained

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
RUN ln -s /opt/pgbackup/pgbackup /usr/local/bin/pgbackup
USER postgres
VOLUME ["/etc/pgbackup/policies", "/var/lib/pgbackup"]
ENTRYPOINT ["pgbackup"]
CMD ["serve", "--policies", "/etc/pgbackup/policies"]
