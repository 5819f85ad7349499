using Akka.Streams;
using Akka.Streams.Stage;

namespace ProfilePipeline.Streams;

/// <summary>
/// Passes every element on as it comes; when the upstream finishes, runs a last step and completes once it has (or
/// fails with it). For work that must end a stream, such as the outputs' last checkpoint: a source concatenated after
/// the stream would be pulled, and its work started, before the stream's last element.
/// </summary>
public sealed class FinishWith<T> : GraphStage<FlowShape<T, T>>
{
    private readonly Func<Task> _last;
    private readonly Inlet<T> _in = new("FinishWith.in");
    private readonly Outlet<T> _out = new("FinishWith.out");

    public FinishWith(Func<Task> last)
    {
        _last = last;
        Shape = new FlowShape<T, T>(_in, _out);
    }

    public override FlowShape<T, T> Shape { get; }

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly FinishWith<T> _stage;
        private Action<Task>? _lastDone;

        public Logic(FinishWith<T> stage) : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage._in, this);
            SetHandler(stage._out, this);
        }

        public override void PreStart() =>
            _lastDone = GetAsyncCallback<Task>(last =>
            {
                if (last.Exception is { } failure)
                    FailStage(failure.InnerExceptions.Count == 1 ? failure.InnerExceptions[0] : failure);
                else if (last.IsCanceled)
                    FailStage(new TaskCanceledException(last));
                else
                    CompleteStage();
            });

        public override void OnPush() => Push(_stage._out, Grab(_stage._in));

        public override void OnPull() => Pull(_stage._in);

        public override void OnUpstreamFinish()
        {
            Task last;
            try
            {
                last = _stage._last();
            }
            catch (Exception e)
            {
                last = Task.FromException(e);
            }
            var done = _lastDone!;
            last.ContinueWith(done, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
