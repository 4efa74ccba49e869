using System.Text.Json;
using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Inventory.Tests.Http;

/// <summary>The source-generated response metadata writes byte for byte what the reflection serializer wrote.</summary>
public class JsonBodyResultTests
{
    private static readonly JsonSerializerOptions Reflection = new(JsonSerializerDefaults.Web);

    public static TheoryData<object> Bodies()
    {
        var problem = new ProblemDetails { Status = 404, Title = "Unknown SKU", Detail = "Never stocked: x.", Type = "https://www.rfc-editor.org/rfc/rfc9110#section-15" };
        problem.Extensions["orderId"] = "o";
        problem.Extensions["skus"] = new List<string> { "x" };
        var deducted = new DeductionBody("o-1", "deducted", [new DeductedLine("a", 2, 7)]);
        return
        [
            deducted,
            new OutcomeBody("o-2", "unknown"),
            new InsufficientBody("o-3", "insufficient", [new ShortLineBody("a", 5, 1)]),
            new StockBody("a", 3),
            new OrderBody("o-1", "deducted", [new OrderLineBody("a", 2)], null),
            new BatchBody([new BatchItemBody(200, false, deducted), new BatchItemBody(404, false, problem), new BatchItemBody(409, true, new OutcomeBody("o", "cancelled"))]),
            problem,
        ];
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Writes_what_the_reflection_serializer_wrote_with_a_content_length(object body)
    {
        var context = new DefaultHttpContext();
        using var written = new MemoryStream();
        context.Response.Body = written;

        await new JsonBodyResult(200, body, "application/json").ExecuteAsync(context);

        Assert.Equal(JsonSerializer.Serialize(body, body.GetType(), Reflection), System.Text.Encoding.UTF8.GetString(written.ToArray()));
        Assert.Equal(written.Length, context.Response.ContentLength);
    }
}
