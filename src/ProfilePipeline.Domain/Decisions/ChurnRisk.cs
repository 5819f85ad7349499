using ProfilePipeline.Domain.Profile;

namespace ProfilePipeline.Domain.Decisions;

/// <summary>
/// Churn risk from recency and frequency: the chance that a user who is still active, with the rhythm of their own
/// past visits, would have come back by now. Visits (sessions) are taken as a Poisson process whose mean gap is the
/// user's span from first to newest event over their visits after the first, shrunk towards a prior gap while the user
/// has few visits; the risk after a silence of <c>r</c> is <c>1 − exp(−r / gap)</c>. Frequent visitors become at risk
/// after a short silence, rare ones after a long one.
/// </summary>
public static class ChurnRisk
{
    /// <param name="now">Event time (epoch ms) the risk is evaluated at; the silence is measured from the newest event.</param>
    /// <param name="priorGap">The mean gap between visits assumed for a user with one visit; it weighs as <paramref name="priorWeight"/> visits.</param>
    public static double Of(ProfileFeatures features, long now, TimeSpan priorGap, double priorWeight = 2)
    {
        var silence = Math.Max(0, now - features.AsOf) / 1000.0;
        var span = Math.Max(0, features.AsOf - features.FirstSeen) / 1000.0;
        var laterVisits = Math.Max(0, features.Sessions.Count - 1);
        var gap = (span + priorWeight * priorGap.TotalSeconds) / (laterVisits + priorWeight);
        return gap <= 0 ? 1 : 1 - Math.Exp(-silence / gap);
    }
}
