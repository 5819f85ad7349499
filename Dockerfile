# ProfilePipeline node image. Build from the repository root:
#   docker build -t profile-pipeline .
# Used by docker-compose.yml.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Only what the node's build needs: the shared MSBuild settings, the default HOCON and the sources.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY config/ config/
COPY src/ src/
# Drop any bin/obj copied from a developer checkout, so the restore and build start clean.
RUN find src -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} + \
 && dotnet publish src/ProfilePipeline.Node -c Release -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app ./
# The data folder (outputs, checkpoint, SQLite store when storage is sqlite): mount a volume here and pass --data-dir /data.
VOLUME /data
# Akka remoting (set PROFILE_PIPELINE_PORT to match).
EXPOSE 4053
ENTRYPOINT ["dotnet", "/app/ProfilePipeline.Node.dll"]
