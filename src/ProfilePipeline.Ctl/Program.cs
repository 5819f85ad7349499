using ProfilePipeline.Ctl;

return await ProfileCtl.RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable).ConfigureAwait(false);
