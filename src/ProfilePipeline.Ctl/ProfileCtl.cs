using System.CommandLine;
using System.Text.Json;

namespace ProfilePipeline.Ctl;

/// <summary>
/// profilectl: the operator's command line over a node's admin endpoint. Tables for people, <c>--json</c> for scripts.
/// The node comes from <c>--node host:port</c> (or <c>PROFILECTL_NODE</c>), or from <c>admin.json</c> in <c>--data-dir</c>;
/// the token from <c>PROFILECTL_TOKEN</c>, or from the node's <c>admin.token</c> in <c>--data-dir</c>.
/// </summary>
public static class ProfileCtl
{
    public const string TokenVariable = "PROFILECTL_TOKEN";
    public const string NodeVariable = "PROFILECTL_NODE";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<string, string?> environment)
    {
        var node = new Option<string?>("--node") { Description = $"The node's admin address, host:port or a URL (or {NodeVariable}).", Recursive = true };
        var dataDir = new Option<string?>("--data-dir") { Description = "A local node's data folder: its admin.json and admin.token are used.", Recursive = true };
        var json = new Option<bool>("--json") { Description = "JSON output, for scripts.", Recursive = true };
        var root = new RootCommand("profilectl: see and steer ProfilePipeline nodes through their admin endpoint.") { node, dataDir, json };

        AdminClient Client(ParseResult r) => Connect(r.GetValue(node) ?? environment(NodeVariable), r.GetValue(dataDir), environment(TokenVariable));

        // A command that GETs one route and shows the JSON as a table, or as it is with --json.
        Command Query(string name, string description, Func<ParseResult, string> path, Func<ParseResult, string>? notFound = null,
            HttpMethod? method = null, Action<ParseResult>? check = null, Action<TextWriter, JsonElement>? render = null)
        {
            var command = new Command(name, description);
            command.SetAction(r => Guard(error, async () =>
            {
                check?.Invoke(r);
                using var client = Client(r);
                var body = await client.SendAsync(method ?? HttpMethod.Get, path(r), notFound?.Invoke(r)).ConfigureAwait(false);
                if (r.GetValue(json))
                    output.WriteLine(body);
                else if (render is not null)
                    render(output, JsonDocument.Parse(body).RootElement);
                else
                    Table(output, Flatten(JsonDocument.Parse(body).RootElement, ""));
            }));
            return command;
        }

        root.Subcommands.Add(new Command("pipeline", "The pipeline on a node.")
        {
            Query("stats", "Records read and completed, events applied, duplicates, dead letters by reason, latency.", _ => "/pipeline/stats"),
            Query("pause", "Stop taking new records; those inside finish and are checkpointed or committed.", _ => "/pipeline/pause", method: HttpMethod.Post),
            Query("resume", "Take records again.", _ => "/pipeline/resume", method: HttpMethod.Post),
        });
        var member = new Argument<string>("address") { Description = "A member's address, e.g. akka.tcp://profile-pipeline@10.0.0.5:4053." };
        var leave = Query("leave", "Ask a member to leave the cluster gracefully (its shards move to the others first).",
            r => $"/cluster/leave?address={Uri.EscapeDataString(r.GetValue(member)!)}", method: HttpMethod.Post);
        leave.Arguments.Add(member);
        var down = Query("down", "Mark an unreachable member as down, so that its shards and singletons move to the others.",
            r => $"/cluster/down?address={Uri.EscapeDataString(r.GetValue(member)!)}", method: HttpMethod.Post);
        down.Arguments.Add(member);
        var seedNode = new Argument<string>("seed") { Description = "A member of the cluster to join, e.g. akka.tcp://profile-pipeline@10.0.0.5:4053." };
        var join = Query("join", "Make the node join the cluster that the given member belongs to.",
            r => $"/cluster/join?seed={Uri.EscapeDataString(r.GetValue(seedNode)!)}", method: HttpMethod.Post);
        join.Arguments.Add(seedNode);
        root.Subcommands.Add(new Command("cluster", "The Akka cluster the node belongs to.")
        {
            Query("show", "The cluster's members, their status and reachability, and the leader.", _ => "/cluster"),
            leave, down, join,
        });
        root.Subcommands.Add(new Command("sharding", "The user-profile shards.")
        {
            Query("regions", "Each node's shard region and the shards it hosts, with their entity counts.", _ => "/sharding/regions"),
            Query("stats", "Shards and entities per node.", _ => "/sharding/stats"),
        });

        var metrics = new Command("metrics", "The node's metrics in Prometheus text format.");
        metrics.SetAction(r => Guard(error, async () =>
        {
            using var client = Client(r);
            output.Write(await client.GetAsync("/metrics").ConfigureAwait(false));
        }));
        root.Subcommands.Add(metrics);

        var userId = new Argument<string>("userId") { Description = "The user id as the shop knows it." };
        var pseudonymized = new Option<bool>("--pseudonymized") { Description = "The id is already pseudonymized (as in the outputs)." };
        var get = Query("get", "A user's live profile.",
            r => $"/profiles/{Uri.EscapeDataString(r.GetValue(userId)!)}" + (r.GetValue(pseudonymized) ? "?pseudonymized=true" : ""),
            r => $"unknown user {r.GetValue(userId)}: no profile on this node's cluster");
        get.Arguments.Add(userId);
        get.Options.Add(pseudonymized);
        var yes = new Option<bool>("--yes") { Description = "Confirm: erasure cannot be undone." };
        var erase = Query("erase",
            "Erase a user (right to be forgotten): journal events, snapshots, output records; later replays of their old events are refused.",
            r => $"/profiles/{Uri.EscapeDataString(r.GetValue(userId)!)}" + (r.GetValue(pseudonymized) ? "?pseudonymized=true" : ""),
            method: HttpMethod.Delete,
            check: r =>
            {
                if (!r.GetValue(yes))
                    throw new CtlException($"erasing {r.GetValue(userId)} cannot be undone: add --yes to confirm", CtlException.Usage);
            });
        erase.Arguments.Add(userId);
        erase.Options.Add(pseudonymized);
        erase.Options.Add(yes);
        var explain = Query("explain", "The top feature contributions to a user's propensity score (weight × standardised value, in logit units).",
            r => $"/profiles/{Uri.EscapeDataString(r.GetValue(userId)!)}/explain" + (r.GetValue(pseudonymized) ? "?pseudonymized=true" : ""),
            r => $"unknown user {r.GetValue(userId)}: no profile on this node's cluster");
        explain.Arguments.Add(userId);
        explain.Options.Add(pseudonymized);
        var last = new Option<int>("--last") { Description = "How many of the newest journal entries (each a batch of events) to show.", DefaultValueFactory = _ => 20 };
        var history = Query("history", "A user's events as their journal holds them, newest entries last.",
            r => $"/profiles/{Uri.EscapeDataString(r.GetValue(userId)!)}/history?last={r.GetValue(last)}" + (r.GetValue(pseudonymized) ? "&pseudonymized=true" : ""),
            r => $"unknown user {r.GetValue(userId)}: no journal entries (never seen, or erased)", render: HistoryTable);
        history.Arguments.Add(userId);
        history.Options.Add(pseudonymized);
        history.Options.Add(last);
        root.Subcommands.Add(new Command("profile", "User profiles.") { get, explain, history, erase });
        root.Subcommands.Add(ReplayCommand(Client, json, output, error));

        var version = new Argument<string>("version") { Description = "A promoted version: online-v7 or 7." };
        var rollback = Query("rollback", "Serve an earlier promoted version again on every node; learning goes on from it.",
            r => $"/model/rollback/{VersionNumber(r.GetValue(version)!)}", r => $"no promoted version {r.GetValue(version)}", HttpMethod.Post);
        rollback.Arguments.Add(version);
        root.Subcommands.Add(new Command("model", "The online propensity model.")
        {
            Query("show", "The serving version, its prequential metrics (AUC, log loss, precision/recall/F1, calibration) and labels seen.", _ => "/model",
                _ => "no learner runs on this cluster (profile-pipeline.learning.enabled = off)"),
            Query("history", "Every promoted version with its shadow evaluation, every rejected candidate with its reason, every rollback.",
                _ => "/model/history", _ => "no learner runs on this cluster (profile-pipeline.learning.enabled = off)"),
            rollback,
        });

        root.Subcommands.Add(new Command("segments", "User segments (KMeans on 30-day behaviour).")
        {
            Query("show", "The serving segmentation: each segment's id, description, share of users and centroid.", _ => "/segments"),
        });

        var parsed = root.Parse(args);
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }).ConfigureAwait(false);
    }

    /// <summary>
    /// `replay`: rebuild profiles from the journal and publish them again, with a progress bar on the error stream;
    /// `replay status` and `replay cancel` for one already running.
    /// </summary>
    private static Command ReplayCommand(Func<ParseResult, AdminClient> client, Option<bool> json, TextWriter output, TextWriter error)
    {
        var from = new Option<string?>("--from") { Description = "Rebuild users with an event at or after this time (ISO-8601 or epoch ms; default: the beginning)." };
        var to = new Option<string?>("--to") { Description = "... and at or before this time (default: no end)." };
        var othersPaused = new Option<bool>("--others-paused")
        {
            Description = "In a cluster of several nodes: confirm that the pipeline is paused on every other node (the replay pauses only its own).",
        };
        var noWait = new Option<bool>("--no-wait") { Description = "Start the replay and return; watch it with `replay status`." };
        var replay = new Command("replay",
            "Rebuild profiles from the journal: every user with an event in [--from, --to] is folded afresh with the current settings, scored, "
            + "and published again to the outputs. The node's ingestion pauses meanwhile.")
        {
            from, to, othersPaused, noWait,
        };
        replay.SetAction(r => Guard(error, async () =>
        {
            using var admin = client(r);
            var query = new List<string>();
            if (r.GetValue(from) is { } f)
                query.Add("from=" + Uri.EscapeDataString(f));
            if (r.GetValue(to) is { } t)
                query.Add("to=" + Uri.EscapeDataString(t));
            if (r.GetValue(othersPaused))
                query.Add("othersPaused=true");
            var started = await admin.SendAsync(HttpMethod.Post, "/replay" + (query.Count == 0 ? "" : "?" + string.Join('&', query)), null).ConfigureAwait(false);
            var body = r.GetValue(noWait) ? started : await WatchReplayAsync(admin, error, r.GetValue(json)).ConfigureAwait(false);
            ShowReplay(output, body, r.GetValue(json));
        }));
        var status = new Command("status", "The running or last replay's progress.");
        status.SetAction(r => Guard(error, async () =>
        {
            using var admin = client(r);
            ShowReplay(output, await admin.GetAsync("/replay").ConfigureAwait(false), r.GetValue(json), failIfUnfinished: false);
        }));
        var cancel = new Command("cancel", "Cancel the running replay; the profiles rebuilt so far stay published.");
        cancel.SetAction(r => Guard(error, async () =>
        {
            using var admin = client(r);
            await admin.SendAsync(HttpMethod.Delete, "/replay", null).ConfigureAwait(false);
            ShowReplay(output, await WatchReplayAsync(admin, error, quiet: true).ConfigureAwait(false), r.GetValue(json), failIfUnfinished: false);
        }));
        replay.Subcommands.Add(status);
        replay.Subcommands.Add(cancel);
        return replay;
    }

    /// <summary>Polls the replay until it ends, drawing a progress bar unless <paramref name="quiet"/>; returns the last progress.</summary>
    private static async Task<string> WatchReplayAsync(AdminClient admin, TextWriter error, bool quiet)
    {
        while (true)
        {
            var body = await admin.GetAsync("/replay").ConfigureAwait(false);
            using var progress = JsonDocument.Parse(body);
            var p = progress.RootElement;
            var state = p.GetProperty("state").GetString();
            if (!quiet)
                error.Write("\r" + ProgressBar(p));
            if (state != "running")
            {
                if (!quiet)
                    error.WriteLine();
                return body;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
        }
    }

    private static string ProgressBar(JsonElement p)
    {
        const int width = 30;
        var total = p.GetProperty("total").GetInt64();
        var done = p.GetProperty("done").GetInt64();
        var share = total > 0 ? Math.Clamp((double)done / total, 0, 1) : 0;
        var filled = (int)Math.Round(share * width);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"replay [{new string('#', filled)}{new string('.', width - filled)}] {share * 100,3:0}% {done:N0}/{total:N0} users, "
            + $"{p.GetProperty("rebuilt").GetInt64():N0} rebuilt, {p.GetProperty("changed").GetInt64():N0} changed, "
            + $"{p.GetProperty("failed").GetInt64():N0} failed, {p.GetProperty("elapsedSeconds").GetDouble():0.0} s");
    }

    private static void ShowReplay(TextWriter output, string body, bool json, bool failIfUnfinished = true)
    {
        if (json)
            output.WriteLine(body);
        else
            Table(output, Flatten(JsonDocument.Parse(body).RootElement, ""));
        using var progress = JsonDocument.Parse(body);
        var state = progress.RootElement.GetProperty("state").GetString();
        if (failIfUnfinished && state is "failed" or "cancelled")
            throw new CtlException($"the replay {state}: {string.Join("; ", progress.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()))}",
                CtlException.JobFailed);
    }

    /// <summary>One row per event: the journal entry (a batch) it was written in, its time, type, item, category, brand and price.</summary>
    private static void HistoryTable(TextWriter output, JsonElement history)
    {
        output.WriteLine($"user {history.GetProperty("userId").GetString()}: {history.GetProperty("journalEntries").GetInt64():N0} journal entries");
        var rows = new List<string[]> { new[] { "entry", "event time", "type", "item", "category", "brand", "price" } };
        foreach (var entry in history.GetProperty("entries").EnumerateArray())
        {
            foreach (var e in entry.GetProperty("events").EnumerateArray())
            {
                rows.Add([entry.GetProperty("sequenceNr").ToString(), Text(e, "time"), Text(e, "type"), Text(e, "itemId"), Text(e, "categoryId"),
                    Text(e, "brand"), Text(e, "price")]);
            }
            if (entry.TryGetProperty("decision", out var d) && d.ValueKind == JsonValueKind.Object)
            {
                // A decision the entity recorded: the profile version flagged inactive, the rule whose action was taken.
                var what = string.Join(", ", new[]
                {
                    d.GetProperty("flaggedInactiveVersion").ValueKind == JsonValueKind.Null ? null : $"flagged inactive (version {Text(d, "flaggedInactiveVersion")})",
                    d.GetProperty("rule").ValueKind == JsonValueKind.Null ? null : $"action of rule {Text(d, "rule")}",
                }.Where(part => part is not null));
                rows.Add([entry.GetProperty("sequenceNr").ToString(), Text(d, "at"), "decision: " + what, "", "", "", ""]);
            }
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(row => row[c].Length)).ToArray();
        for (var i = 0; i < rows.Count; i++)
        {
            output.WriteLine(string.Join("  ", rows[i].Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
            if (i == 0)
                output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        }
    }

    private static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind != JsonValueKind.Null ? value.ToString() : "";

    private static int VersionNumber(string version)
    {
        var digits = version.StartsWith("online-v", StringComparison.OrdinalIgnoreCase) ? version["online-v".Length..] : version;
        return int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new CtlException($"'{version}' is not a model version (online-v7 or 7)", CtlException.Usage);
    }

    private static async Task<int> Guard(TextWriter error, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
            return 0;
        }
        catch (CtlException e)
        {
            error.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
    }

    private static AdminClient Connect(string? node, string? dataDirectory, string? token)
    {
        if (node is null && dataDirectory is not null)
        {
            var file = Path.Combine(dataDirectory, "admin.json");
            if (!File.Exists(file))
                throw new CtlException($"{file} does not exist: is a node running on that data folder?", CtlException.Unreachable);
            using var address = JsonDocument.Parse(File.ReadAllText(file));
            node = address.RootElement.GetProperty("url").GetString();
            if (token is null && address.RootElement.GetProperty("tokenFile").GetString() is { } tokenFile && File.Exists(tokenFile))
                token = File.ReadAllText(tokenFile).Trim();
        }
        if (string.IsNullOrWhiteSpace(node))
            throw new CtlException($"which node? give --node host:port, set {NodeVariable}, or --data-dir of a local node", CtlException.Usage);
        if (string.IsNullOrWhiteSpace(token))
            throw new CtlException($"no token: set {TokenVariable} to the node's admin token (or --data-dir of a local node)", CtlException.Usage);
        var uri = node.Contains("://", StringComparison.Ordinal) ? new Uri(node) : new Uri("http://" + node);
        return new AdminClient(uri, token);
    }

    private static IEnumerable<(string Name, string Value)> Flatten(JsonElement element, string prefix)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                    foreach (var row in Flatten(property.Value, prefix.Length == 0 ? property.Name : $"{prefix}.{property.Name}"))
                        yield return row;
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                    foreach (var row in Flatten(item, $"{prefix}[{i++}]"))
                        yield return row;
                break;
            default:
                yield return (prefix, element.ToString());
                break;
        }
    }

    private static void Table(TextWriter output, IEnumerable<(string Name, string Value)> rows)
    {
        var list = rows.ToList();
        var width = list.Count == 0 ? 4 : Math.Max(4, list.Max(r => r.Name.Length));
        output.WriteLine($"{"name".PadRight(width)}  value");
        output.WriteLine($"{new string('-', width)}  -----");
        foreach (var (name, value) in list)
            output.WriteLine($"{name.PadRight(width)}  {value}");
    }
}
