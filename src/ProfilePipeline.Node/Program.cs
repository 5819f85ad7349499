using System.CommandLine;
using ProfilePipeline.Node;

// Termination signals are handled by `run` itself (a drain), not by System.CommandLine's 2-second timeout.
return await NodeCommands.Build().Parse(args)
    .InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null })
    .ConfigureAwait(false);
