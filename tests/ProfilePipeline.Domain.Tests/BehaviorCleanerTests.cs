using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Import;
using ProfilePipeline.Domain.Privacy;

namespace ProfilePipeline.Domain.Tests;

public class BehaviorCleanerTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Pseudonymizer Pseudonyms = new("a-test-key-of-sufficient-length");
    private readonly BehaviorCleaner _cleaner = new(Pseudonyms, CleanerSettings.Default with { MaxPayloadBytes = 2000 }, () => Now);
    private readonly JsonLinesFormat _json = new();

    private CleanResult Clean(string line) => _cleaner.Clean(_json.Read(new SourcePosition("t", 1), line));

    [Theory]
    [InlineData("{\"userId\":\"u1\",\"type\":\"view\"", DeadLetterReasons.Unreadable)]
    [InlineData("[1,2]", DeadLetterReasons.Unreadable)]
    [InlineData("{\"type\":\"view\",\"timestamp\":1767225600000}", DeadLetterReasons.MissingField)]
    [InlineData("{\"userId\":\"u1\",\"timestamp\":1767225600000}", DeadLetterReasons.MissingField)]
    [InlineData("{\"userId\":\"u1\",\"type\":\"view\"}", DeadLetterReasons.MissingField)]
    [InlineData("{\"userId\":\"u1\",\"type\":\"teleport\",\"timestamp\":1767225600000}", DeadLetterReasons.UnknownType)]
    [InlineData("{\"userId\":\"u1\",\"type\":\"view\",\"timestamp\":\"soon\"}", DeadLetterReasons.BadTimestamp)]
    [InlineData("{\"userId\":\"u1\",\"type\":\"view\",\"timestamp\":\"1971-01-01T00:00:00Z\"}", DeadLetterReasons.BadTimestamp)]
    [InlineData("{\"userId\":\"u1\",\"type\":\"view\",\"timestamp\":\"2199-01-01T00:00:00Z\"}", DeadLetterReasons.FutureTimestamp)]
    [InlineData("{\"userId\":\"u1\",\"type\":\"purchase\",\"timestamp\":1767225600000,\"price\":\"ten\"}", DeadLetterReasons.BadNumber)]
    [InlineData("{\"userId\":\"u1\",\"type\":\"purchase\",\"timestamp\":1767225600000,\"price\":-1}", DeadLetterReasons.BadNumber)]
    [InlineData("{\"userId\":\"u1\",\"type\":\"purchase\",\"timestamp\":1767225600000,\"quantity\":0}", DeadLetterReasons.BadNumber)]
    public void A_bad_record_is_dead_lettered_with_its_reason_and_original_payload(string line, string reason)
    {
        var result = Clean(line);
        Assert.False(result.IsAccepted);
        Assert.Equal(reason, result.DeadLetter!.Reason);
        Assert.Equal(line, result.DeadLetter.Payload);
        Assert.False(string.IsNullOrWhiteSpace(result.DeadLetter.Detail));
    }

    [Fact]
    public void An_oversized_payload_is_dead_lettered_as_too_large()
    {
        var line = "{\"userId\":\"u1\",\"type\":\"view\",\"timestamp\":1767225600000,\"query\":\"" + new string('x', 3000) + "\"}";
        var dead = Clean(line).DeadLetter!;
        Assert.Equal(DeadLetterReasons.TooLarge, dead.Reason);
        Assert.StartsWith(line[..2000], dead.Payload);
        Assert.True(dead.Payload.Length < line.Length);
    }

    [Fact]
    public void A_valid_record_is_typed_and_pseudonymised_and_personal_attributes_are_hashed()
    {
        var result = Clean("{\"eventId\":\"e1\",\"userId\":\"alice\",\"type\":\"buy\",\"timestamp\":\"2026-01-01T10:00:00Z\",\"itemId\":\"i1\",\"price\":\"9.5\",\"quantity\":2,\"brand\":\"ACME\",\"attributes\":{\"email\":\"alice@example.com\",\"coupon\":\"X1\"}}");
        var e = result.Event!;
        Assert.Equal(BehaviorType.Purchase, e.Type);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), e.Timestamp);
        Assert.Equal(19m, e.Amount);
        Assert.Equal("acme", e.Brand);
        Assert.Equal(Pseudonyms.Pseudonymize("alice"), e.UserId);
        Assert.DoesNotContain("alice", e.UserId);
        Assert.Equal(Pseudonyms.Pseudonymize("alice@example.com"), e.Attributes["email"]);
        Assert.Equal("X1", e.Attributes["coupon"]);
    }

    [Fact]
    public void An_event_without_id_gets_the_same_derived_id_every_time()
    {
        const string line = "{\"userId\":\"u1\",\"type\":\"view\",\"timestamp\":1767225600000,\"itemId\":\"i9\"}";
        Assert.Equal(Clean(line).Event!.EventId, Clean(line).Event!.EventId);
        Assert.NotEqual(Clean(line).Event!.EventId, Clean(line.Replace("i9", "i8")).Event!.EventId);
    }

    [Fact]
    public void A_short_pseudonymisation_key_is_refused() =>
        Assert.Throws<ArgumentException>(() => new Pseudonymizer("short"));
}
