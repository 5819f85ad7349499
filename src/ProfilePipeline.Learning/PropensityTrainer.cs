using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using ProfilePipeline.Domain.Learning;

namespace ProfilePipeline.Learning;

/// <summary>One training example for ML.NET: a feature vector, its label and its weight.</summary>
public sealed class TrainingRow
{
    public float[] Features { get; set; } = [];
    public bool Label { get; set; }
}

/// <summary>
/// Fits the logistic regression (ML.NET L-BFGS) on standardised features, warm-started from the previous parameters
/// when there are some (<c>Fit(data, previous)</c>): training continues from where the last version ended instead of
/// from zero. Not thread-safe.
/// </summary>
/// <remarks>
/// Every fit reads one data view, made once over <see cref="_rows"/>, which each fit points at its own rows: ML.NET
/// emits and compiles code for each data view made from objects, and that, with the finalisation of the code when it
/// is dropped, took about 40% of a fit's CPU.
/// </remarks>
public sealed class PropensityTrainer(int seed = 1, float l2Regularization = 1f)
{
    private readonly MLContext _ml = new(seed);
    private readonly CurrentRows _rows = new();
    private IDataView? _data;
    private (ITransformer Model, DataViewSchema Schema)? _last;

    public LinearBinaryModelParameters Fit(IReadOnlyList<TrainingRow> rows, LinearBinaryModelParameters? previous)
    {
        _rows.Rows = rows;
        try
        {
            return Fit(_data ??= Load(_ml, _rows), previous);
        }
        finally
        {
            _rows.Rows = []; // the window's rows are not kept between fits
        }
    }

    private LinearBinaryModelParameters Fit(IDataView data, LinearBinaryModelParameters? previous)
    {
        var trainer = _ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
        {
            L2Regularization = l2Regularization,
            L1Regularization = 0,
            // A warm start begins near the optimum; 1e-4 (relative improvement) halved a fit's time against 1e-5 and moved
            // the weights in their third decimal, which `evaluate` does not see in its AUCs.
            OptimizationTolerance = 1e-4f,
            MaximumNumberOfIterations = 100,
            // One thread: the learner shares the machine with the pipeline it learns from, and a warm start needs few
            // iterations. ML.NET's default (every core) took a quarter of the pipeline's throughput on 2 cores.
            NumberOfThreads = 1,
        });
        var fitted = previous is null ? trainer.Fit(data) : trainer.Fit(data, previous);
        _last = (fitted, data.Schema);
        return fitted.Model.SubModel;
    }

    /// <summary>The last fit as ML.NET saves a model (a few kilobytes), to warm-start from after a restart; null before any fit.</summary>
    public byte[]? SaveLast()
    {
        if (_last is not { } last)
            return null;
        using var stream = new MemoryStream();
        _ml.Model.Save(last.Model, last.Schema, stream);
        return stream.ToArray();
    }

    /// <summary>
    /// The parameters of a fit saved by <see cref="SaveLast"/>, to warm-start the next fit from (the last fit is then
    /// that one).
    /// </summary>
    public LinearBinaryModelParameters Load(byte[] saved)
    {
        using var stream = new MemoryStream(saved);
        var model = _ml.Model.Load(stream, out var schema);
        var predictor = (model as ISingleFeaturePredictionTransformer<object>)?.Model
            ?? throw new InvalidDataException("the saved warm start is not a prediction transformer");
        var parameters = (predictor as CalibratedModelParametersBase<LinearBinaryModelParameters, PlattCalibrator>)?.SubModel
            ?? throw new InvalidDataException($"the saved warm start holds {predictor.GetType().Name}, not a calibrated linear model");
        _last = (model, schema);
        return parameters;
    }

    /// <summary>The rows as an ML.NET data view whose Features column is a vector of <see cref="PropensityFeatures.Count"/>.</summary>
    public static IDataView Load(MLContext ml, IEnumerable<TrainingRow> rows) => ml.Data.LoadFromEnumerable(rows, Schema());

    public static SchemaDefinition Schema()
    {
        var schema = SchemaDefinition.Create(typeof(TrainingRow));
        schema[nameof(TrainingRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, PropensityFeatures.Count);
        return schema;
    }

    /// <summary>The rows of the fit under way: ML.NET reads them afresh through each cursor it opens on the data view.</summary>
    private sealed class CurrentRows : IEnumerable<TrainingRow>
    {
        public IReadOnlyList<TrainingRow> Rows { get; set; } = [];

        public IEnumerator<TrainingRow> GetEnumerator() => Rows.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>
/// The batch reference for <c>evaluate</c>: gradient-boosted trees (ML.NET FastTree) trained offline on the earlier
/// examples and scored on the later ones, to show what learning online costs.
/// </summary>
public static class BatchReference
{
    public static double[] FastTreeScores(IReadOnlyList<TrainingRow> train, IReadOnlyList<TrainingRow> test, int seed = 1)
    {
        var ml = new MLContext(seed);
        var model = ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: 20, numberOfTrees: 100, minimumExampleCountPerLeaf: 10, learningRate: 0.2)
            .Fit(PropensityTrainer.Load(ml, train));
        var scored = model.Transform(PropensityTrainer.Load(ml, test));
        return [.. scored.GetColumn<float>("Probability").Select(p => (double)p)];
    }
}
