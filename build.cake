// Thin wrapper over dotnet: `dotnet tool restore && dotnet cake --target=Test`.
var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");
var solution = "./ProfilePipeline.sln";

Task("Restore").Does(() => DotNetRestore(solution));

Task("Build").IsDependentOn("Restore").Does(() =>
    DotNetBuild(solution, new DotNetBuildSettings { Configuration = configuration, NoRestore = true }));

// The README's test command, exactly what .ci/run runs.
Task("Test").IsDependentOn("Build").Does(() =>
    DotNetTest(solution, new DotNetTestSettings
    {
        Configuration = configuration, NoRestore = true, NoBuild = true, Loggers = ["console;verbosity=normal"],
    }));

// A generated million-event run of the whole pipeline on the embedded default (the benchmark issue grows this).
Task("Bench").IsDependentOn("Build").Does(() =>
    DotNetRun("./src/ProfilePipeline.Node/ProfilePipeline.Node.csproj",
        new ProcessArgumentBuilder().Append("bench").Append(Argument("quick", false) ? "--quick" : ""),
        new DotNetRunSettings { Configuration = configuration, NoRestore = true, NoBuild = true }));

Task("Pack").IsDependentOn("Build").Does(() =>
    DotNetPublish("./src/ProfilePipeline.Node/ProfilePipeline.Node.csproj",
        new DotNetPublishSettings { Configuration = configuration, NoRestore = true, OutputDirectory = "./artifacts/node" }));

RunTarget(target);
