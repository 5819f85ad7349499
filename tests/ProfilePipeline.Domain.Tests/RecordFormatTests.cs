using ProfilePipeline.Domain.Events;
using ProfilePipeline.Domain.Import;

namespace ProfilePipeline.Domain.Tests;

public class RecordFormatTests
{
    private static RawBehavior Read(IRecordFormat format, string line) => format.Read(new SourcePosition("t", 0), line);

    [Fact]
    public void Taobao_rows_map_to_canonical_fields_with_seconds_turned_into_milliseconds()
    {
        var raw = Read(RecordFormats.Create("taobao"), "543462,1715,1464116,pv,1511658000");
        Assert.Equal("543462", raw[CanonicalFields.UserId]);
        Assert.Equal("1715", raw[CanonicalFields.ItemId]);
        Assert.Equal("1464116", raw[CanonicalFields.CategoryId]);
        Assert.Equal("pv", raw[CanonicalFields.Type]);
        Assert.Equal("1511658000000", raw[CanonicalFields.Timestamp]);
    }

    [Fact]
    public void Rees46_is_read_by_header_names()
    {
        var format = RecordFormats.Create("rees46");
        format.ReadHeader("event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session");
        var raw = Read(format, "2019-10-01 00:00:00 UTC,view,44600062,2103807459595387724,,shiseido,35.79,541312140,72d76fde");
        Assert.Equal("541312140", raw[CanonicalFields.UserId]);
        Assert.Equal("35.79", raw[CanonicalFields.Price]);
        Assert.True(TimestampParser.TryParse(raw[CanonicalFields.Timestamp]!, out var ms));
        Assert.Equal(new DateTimeOffset(2019, 10, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), ms);
    }

    [Fact]
    public void RetailRocket_maps_visitor_event_and_item()
    {
        var format = RecordFormats.Create("retailrocket");
        format.ReadHeader("timestamp,visitorid,event,itemid,transactionid");
        var raw = Read(format, "1433221332117,257597,addtocart,355908,");
        Assert.Equal("257597", raw[CanonicalFields.UserId]);
        Assert.True(BehaviorTypes.TryParse(raw[CanonicalFields.Type], out var type));
        Assert.Equal(BehaviorType.CartAdd, type);
    }

    [Fact]
    public void A_generic_csv_mapping_reads_named_columns_quoted_fields_and_constants()
    {
        var format = RecordFormats.Create("csv", "userId=who,type:=purchase,timestamp=when,itemId=sku,price=amount,timestampUnit=s");
        format.ReadHeader("when,who,sku,amount");
        var raw = Read(format, "1700000000,\"Smith, J\",A-1,12.5");
        Assert.Equal("Smith, J", raw[CanonicalFields.UserId]);
        Assert.Equal("purchase", raw[CanonicalFields.Type]);
        Assert.Equal("1700000000000", raw[CanonicalFields.Timestamp]);
    }

    [Fact]
    public void A_mapping_that_misses_a_required_field_or_names_an_absent_column_is_refused()
    {
        Assert.Throws<FormatException>(() => RecordFormats.Create("csv", "userId=a,type=b"));
        var format = RecordFormats.Create("csv", "userId=a,type=b,timestamp=c");
        Assert.Throws<FormatException>(() => format.ReadHeader("a,b,x"));
        Assert.Throws<FormatException>(() => RecordFormats.Create("parquet"));
    }

    [Fact]
    public void A_row_with_too_few_columns_is_unreadable_not_dropped()
    {
        var raw = Read(RecordFormats.Create("taobao"), "543462,1715");
        Assert.NotNull(raw.ReadError);
        Assert.Equal("543462,1715", raw.Payload);
    }
}
