using System.Globalization;
using System.Text;
using ProfilePipeline.Streams;

namespace ProfilePipeline.Node.Admin;

/// <summary>The pipeline's counters in the Prometheus text exposition format (version 0.0.4).</summary>
public static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <param name="servingModel">The version this node scores with.</param>
    /// <param name="learner">The learner's status, when it answered in time.</param>
    /// <param name="entitiesByRegion">Live entities per shard region (node), when sharding answered in time.</param>
    public static string Write(PipelineMetrics metrics, string servingModel = "rules-v1", Learning.LearnerStatus? learner = null,
        IReadOnlyDictionary<string, int>? entitiesByRegion = null)
    {
        var text = new StringBuilder();
        Counter(text, "profilepipeline_records_read_total", "Records read from the source.", metrics.Read);
        Counter(text, "profilepipeline_records_completed_total", "Records whose outputs are written (files) or published (Kafka).", metrics.Completed);
        Counter(text, "profilepipeline_events_applied_total", "Events folded into a profile.", metrics.Applied);
        Counter(text, "profilepipeline_events_duplicate_total", "Events dropped as duplicates of an earlier event id.", metrics.Duplicates);
        Counter(text, "profilepipeline_events_redelivered_total", "Records already applied (a replay or a redelivery).", metrics.Redelivered);
        Counter(text, "profilepipeline_events_refused_erased_total", "Events of erased users from before their erasure, refused.", metrics.RefusedAsErased);
        Counter(text, "profilepipeline_profiles_written_total", "Scored profile records written or published: updates, and users found inactive.", metrics.ProfilesWritten);
        Counter(text, "profilepipeline_unknown_items_total", "Events whose item is not in the catalogue.", metrics.UnknownItems);
        Header(text, "profilepipeline_dead_letters_total", "Records refused, by reason.", "counter");
        foreach (var (reason, count) in metrics.DeadLettersByReason.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            Line(text, $"profilepipeline_dead_letters_total{{reason=\"{Escape(reason)}\"}}", count);
        Header(text, "profilepipeline_users_updated", "Distinct users whose profile this process updated.", "gauge");
        Line(text, "profilepipeline_users_updated", metrics.Users);
        Header(text, "profilepipeline_latency_seconds", "Source-to-sink latency of a record.", "summary");
        foreach (var q in new[] { 0.5, 0.9, 0.99 })
            Line(text, $"profilepipeline_latency_seconds{{quantile=\"{q.ToString(CultureInfo.InvariantCulture)}\"}}", metrics.Latency.Quantile(q).TotalSeconds);
        Line(text, "profilepipeline_latency_seconds_count", metrics.Latency.Count);
        if (metrics.ConsumerLag?.Invoke() is { Count: > 0 } lag)
        {
            Header(text, "profilepipeline_consumer_lag", "Records behind the end of each assigned partition.", "gauge");
            foreach (var (partition, records) in lag.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                Line(text, $"profilepipeline_consumer_lag{{partition=\"{Escape(partition)}\"}}", records);
        }
        Header(text, "profilepipeline_entity_update_seconds", "Time for a user's entity to persist a batch and answer (mostly journal latency).", "summary");
        foreach (var q in new[] { 0.5, 0.9, 0.99 })
            Line(text, $"profilepipeline_entity_update_seconds{{quantile=\"{q.ToString(CultureInfo.InvariantCulture)}\"}}", metrics.EntityUpdates.Quantile(q).TotalSeconds);
        Line(text, "profilepipeline_entity_update_seconds_count", metrics.EntityUpdates.Count);
        if (entitiesByRegion is not null)
        {
            Header(text, "profilepipeline_entities", "Live user entities per shard region.", "gauge");
            foreach (var (region, entities) in entitiesByRegion.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                Line(text, $"profilepipeline_entities{{region=\"{Escape(region)}\"}}", entities);
        }
        Header(text, "profilepipeline_stage_passed_total", "Records that have left each stage of the graph.", "counter");
        var passed = metrics.StagePassed();
        for (var i = 0; i < passed.Length; i++)
            Line(text, $"profilepipeline_stage_passed_total{{stage=\"{Escape(PipelineMetrics.Stages[i])}\"}}", passed[i]);
        Header(text, "profilepipeline_stage_in_flight", "Records inside each stage now (its buffers' fill).", "gauge");
        var inFlight = metrics.StageInFlight();
        for (var i = 0; i < inFlight.Length; i++)
            Line(text, $"profilepipeline_stage_in_flight{{stage=\"{Escape(PipelineMetrics.Stages[i])}\"}}", inFlight[i]);
        Counter(text, "profilepipeline_users_inactive_total", "Users found inactive by their event-time timer and flagged.", metrics.UsersFoundInactive);
        Counter(text, "profilepipeline_inactivity_not_confirmed_total",
            "Silences not flagged: the user's entity did not answer, held none (erased), or had flagged that version already.", metrics.InactivityNotConfirmed);
        Counter(text, "profilepipeline_decision_points_restored_total", "Open decision points loaded from the partitions' durable indexes.",
            metrics.DecisionPointsRestored);
        Counter(text, "profilepipeline_decision_points_handed_over_total",
            "Open decision points let go because their partition moved to another node in a rebalance.", metrics.DecisionPointsHandedOver);
        Counter(text, "profilepipeline_label_writes_total",
            "Writes of the label stage at checkpoints and commits: released labels to the learner, then open points to their index.", metrics.LabelWrites);
        Counter(text, "profilepipeline_decision_points_indexed_total",
            "Decision points written open to their partition's index (still open at a checkpoint after them).", metrics.DecisionPointsIndexed);
        Counter(text, "profilepipeline_decision_points_unlabelled_total",
            "Decision points never labelled: too many open (the oldest dropped), or taken after their horizon had closed.", metrics.DecisionPointsUnlabelled);
        Header(text, "profilepipeline_decision_points_open", "Decision points open on this node, waiting for the watermark to pass their horizon.", "gauge");
        Line(text, "profilepipeline_decision_points_open", metrics.OpenDecisionPoints);
        Counter(text, "profilepipeline_inactivity_timers_restored_total", "Inactivity timers loaded from the partitions' durable indexes.",
            metrics.InactivityTimersRestored);
        Counter(text, "profilepipeline_decisions_republished_total", "Users whose flag or actions were published again after a restart (a crash may have cut them).",
            metrics.DecisionsRepublished);
        Counter(text, "profilepipeline_stage_asks_retried_total", "Asks of the label and decision stages (to entities, indexes and the learner) repeated after a timeout.", metrics.StageAsksRetried);
        Header(text, "profilepipeline_inactivity_timers", "Users with a pending inactivity timer on this node.", "gauge");
        Line(text, "profilepipeline_inactivity_timers", metrics.InactivityTimers);
        Header(text, "profilepipeline_actions_total", "Actions the decision rules produced, by action.", "counter");
        foreach (var (action, count) in metrics.ActionsByName.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            Line(text, $"profilepipeline_actions_total{{action=\"{Escape(action)}\"}}", count);
        Counter(text, "profilepipeline_actions_capped_total", "Rule matches held back by their per-user frequency cap.", metrics.ActionsCapped);
        Counter(text, "profilepipeline_decision_points_total", "Decision points taken for the online learner on this node.", metrics.DecisionPoints);
        Counter(text, "profilepipeline_labels_released_total", "Decision points labelled and handed to the learner by this node.", metrics.LabelsReleased);
        Counter(text, "profilepipeline_labels_positive_total", "Released labels that were purchases.", metrics.PositiveLabels);
        Header(text, "profilepipeline_model_info", "The propensity model this node scores with.", "gauge");
        Line(text, $"profilepipeline_model_info{{version=\"{Escape(servingModel)}\"}}", 1);
        if (learner is not null)
        {
            Header(text, "profilepipeline_model_prequential_auc", "The learner's prequential AUC: over every label, and over the recent window.", "gauge");
            if (!double.IsNaN(learner.Metrics.Auc))
                Line(text, "profilepipeline_model_prequential_auc{scope=\"all\"}", learner.Metrics.Auc);
            if (!double.IsNaN(learner.Metrics.WindowAuc))
                Line(text, "profilepipeline_model_prequential_auc{scope=\"window\"}", learner.Metrics.WindowAuc);
            Counter(text, "profilepipeline_model_labels_total", "Labels the learner has evaluated and trained on.", learner.LabelsSeen);
            Counter(text, "profilepipeline_model_versions_promoted_total", "Model versions promoted.", learner.Promoted);
            Counter(text, "profilepipeline_model_versions_rejected_total", "Candidates not promoted.", learner.Rejected);
            Counter(text, "profilepipeline_model_conflicting_labels_total",
                "Labels delivered again with the other label (two nodes released one point; the first was kept), since the learner started.",
                learner.ConflictingLabels);
        }
        return text.ToString();
    }

    private static void Counter(StringBuilder text, string name, string help, long value)
    {
        Header(text, name, help, "counter");
        Line(text, name, value);
    }

    private static void Header(StringBuilder text, string name, string help, string type) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Line(StringBuilder text, string series, double value) =>
        text.Append(series).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
