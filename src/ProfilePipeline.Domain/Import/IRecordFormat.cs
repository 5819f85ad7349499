using ProfilePipeline.Domain.Events;

namespace ProfilePipeline.Domain.Import;

/// <summary>
/// Maps one line of an input file onto canonical field names. Formats validate nothing beyond their own shape:
/// typing and rejection is the clean stage's job, so every format dead-letters the same way.
/// </summary>
public interface IRecordFormat
{
    string Name { get; }

    /// <summary>Reads the header line, if the format has one. Throws <see cref="FormatException"/> when it does not fit.</summary>
    void ReadHeader(string? headerLine);

    bool HasHeader { get; }

    RawBehavior Read(SourcePosition position, string line);
}
