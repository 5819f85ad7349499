namespace ProfilePipeline.Domain.Learning;

/// <summary>
/// One promoted version of the learned propensity model, as the registry stores it: the parameters, what it was
/// trained on, and how it compared with its predecessor on the same examples before it was promoted.
/// </summary>
/// <param name="Number">1, 2, ...; the model's name is <c>online-v{Number}</c>.</param>
/// <param name="TrainedOn">Labelled examples in its training window.</param>
/// <param name="TrainedFrom">Event time (epoch ms) of the oldest decision point it was trained on.</param>
/// <param name="TrainedTo">Event time of the newest.</param>
/// <param name="ShadowAuc">Its AUC on the shadow examples (scored by it and its predecessor, after training).</param>
/// <param name="PredecessorAuc">The predecessor's AUC on the same examples.</param>
/// <param name="LabelsSeen">Labelled examples the learner had seen when it promoted this version.</param>
public sealed record ModelVersion(
    int Number, float[] Weights, float Bias, float[] Means, float[] Scales, long TrainedOn, long TrainedFrom, long TrainedTo,
    double ShadowAuc, double PredecessorAuc, string Predecessor, long LabelsSeen)
{
    public string Name => $"online-v{Number}";

    public LinearPropensityModel ToModel() => new(Name, Weights, Bias, new Standardization(Means, Scales));
}

/// <summary>A candidate the learner trained and did not promote, and why.</summary>
public sealed record ModelRejection(int Number, double ShadowAuc, double PredecessorAuc, string Predecessor, string Reason, long LabelsSeen);
