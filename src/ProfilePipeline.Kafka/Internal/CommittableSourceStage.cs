using Akka.Streams;
using Akka.Streams.Stage;

namespace ProfilePipeline.Kafka.Internal;

/// <summary>Emits what the poll loop buffers; an async callback wakes it when records arrive.</summary>
internal sealed class CommittableSourceStage(KafkaConsumerSettings settings, Action<string> log)
    : GraphStageWithMaterializedValue<SourceShape<KafkaRecord>, IKafkaControl>
{
    private readonly Outlet<KafkaRecord> _out = new("KafkaSource.out");

    public override SourceShape<KafkaRecord> Shape => new(_out);

    public override ILogicAndMaterializedValue<IKafkaControl> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var loop = new ConsumerPollLoop(settings, log);
        return new LogicAndMaterializedValue<IKafkaControl>(new Logic(this, loop), loop);
    }

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly CommittableSourceStage _stage;
        private readonly ConsumerPollLoop _loop;
        private Action? _recordsAvailable;
        private bool _waiting;

        public Logic(CommittableSourceStage stage, ConsumerPollLoop loop) : base(stage.Shape)
        {
            _stage = stage;
            _loop = loop;
            SetHandler(stage._out, this);
        }

        public override void PreStart()
        {
            _recordsAvailable = GetAsyncCallback(() =>
            {
                _waiting = false;
                if (IsAvailable(_stage._out))
                    TryPush();
            });
            _loop.Start();
        }

        public override void OnPull() => TryPush();

        public override void OnDownstreamFinish(Exception cause)
        {
            _loop.Stop();
            base.OnDownstreamFinish(cause);
        }

        private void TryPush()
        {
            var reader = _loop.Records;
            if (reader.TryRead(out var record))
            {
                Push(_stage._out, record);
                return;
            }
            if (reader.Completion.IsCompleted)
            {
                if (reader.Completion.Exception is { } failure)
                    FailStage(failure.InnerException ?? failure);
                else
                    CompleteStage();
                return;
            }
            if (_waiting)
                return;
            _waiting = true;
            var callback = _recordsAvailable!;
            _ = reader.WaitToReadAsync().AsTask().ContinueWith(_ => callback(), TaskScheduler.Default);
        }
    }
}
