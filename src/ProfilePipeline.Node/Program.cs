using System.CommandLine;
using ProfilePipeline.Node;

return await NodeCommands.Build().Parse(args).InvokeAsync().ConfigureAwait(false);
