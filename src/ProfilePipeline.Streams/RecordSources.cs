using System.Diagnostics;
using Akka;
using Akka.Streams.Dsl;
using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Generation;
using ProfilePipeline.Domain.Import;

namespace ProfilePipeline.Streams;

/// <summary>Finite sources of input records: a file in one of the import formats, or the synthetic generator.</summary>
public static class RecordSources
{
    /// <summary>
    /// Lines of <paramref name="path"/> after the header; a record's offset is its data line number (0-based),
    /// and records at or below <paramref name="resumeAfter"/> are skipped (already checkpointed).
    /// </summary>
    /// <summary>A source over imported records (<see cref="ReadFile"/>, <see cref="ReadGenerator"/>), enumerated lazily when the graph runs.</summary>
    public static Source<PipelineItem, NotUsed> From(Func<IEnumerable<RawBehavior>> records) =>
        Source.FromEnumerator(() => records().Select(Item).GetEnumerator());

    /// <summary>The generator's records as an importer reads them (canonical JSON lines).</summary>
    public static IEnumerable<RawBehavior> ReadGenerator(GeneratorSettings settings, long resumeAfter)
    {
        var format = new JsonLinesFormat();
        var sourceId = settings.SourceId; // one string for every record: the stages key their state by it
        return new BehaviorGenerator(settings).Generate()
            .Where(r => r.Offset > resumeAfter)
            .Select(r => format.Read(new SourcePosition(sourceId, r.Offset), r.Line));
    }

    /// <summary>The id under which a file's progress is checkpointed and its offsets deduplicated.</summary>
    public static string FileSourceId(string path, IRecordFormat format) => $"file:{format.Name}:{Path.GetFullPath(path)}";

    public static IEnumerable<RawBehavior> ReadFile(string path, IRecordFormat format, string sourceId, long resumeAfter)
    {
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        if (format.HasHeader)
            format.ReadHeader(reader.ReadLine());
        long offset = -1;
        while (reader.ReadLine() is { } line)
        {
            offset++;
            if (offset <= resumeAfter || line.Length == 0)
                continue;
            yield return format.Read(new SourcePosition(sourceId, offset), line);
        }
    }

    private static PipelineItem Item(RawBehavior raw) => new(raw.Position, Stopwatch.GetTimestamp()) { Raw = raw };
}
