using System.Text;
using System.Text.Json;
using Inventory.Api.Http;
using Inventory.Domain;
using Inventory.Tests.Faults;

namespace Inventory.Tests.Http;

/// <summary>
/// The deduction route's Utf8JsonReader fast path against the document parser it stands in for: whatever the fast
/// path accepts, the document parser accepts with the same request; everything else it leaves to the document parser.
/// </summary>
public class DeductionJsonTests
{
    public static TheoryData<string> AcceptedBodies =>
    [
        """{"orderId":"A100","lines":[{"sku":"iphone-15","quantity":2}]}""",
        """ { "lines" : [ { "quantity" : 1 , "sku" : "a" } , {"sku":"b.c_d:e-f","quantity":1000000} ] , "orderId" : "x" } """,
        """{"orderId":"o","lines":[{"sku":"a","quantity":400000},{"sku":"a","quantity":600000}]}""",
        "{\"orderId\":\"" + new string('a', 64) + "\",\"lines\":[{\"sku\":\"s\",\"quantity\":1}]}\n",
        """{"orderId":"A100","customerId":"C-42","lines":[{"sku":"iphone-15","quantity":2}]}""",
        """{"lines":[{"sku":"a","quantity":1}],"orderId":"o","customerId":"c"}""",
    ];

    public static TheoryData<string> LeftToTheDocumentParser =>
    [
        // invalid: the document parser words the problem
        "", "[]", "null", "{", """{"orderId":"o","lines":[{"sku":"a","quantity":1}]} x""", """{"orderId":"o","lines":[]}""",
        """{"orderId":"o","lines":[{"sku":"a","quantity":0}]}""", """{"orderId":"o","lines":[{"sku":"a","quantity":1.0}]}""",
        """{"orderId":"o","lines":[{"sku":"a","quantity":"1"}]}""", """{"orderId":"o","lines":[{"sku":"a","quantity":1000001}]}""",
        """{"orderId":"o","lines":[{"sku":"a","quantity":600000},{"sku":"a","quantity":400001}]}""",
        """{"orderId":"..","lines":[{"sku":"a","quantity":1}]}""", """{"orderId":"a b","lines":[{"sku":"a","quantity":1}]}""",
        """{"orderId":"o","orderId":"p","lines":[{"sku":"a","quantity":1}]}""", """{"orderId":"o","order\u0049d":"p","lines":[{"sku":"a","quantity":1}]}""",
        """{"orderId":"o","lines":[{"sku":"a","sku":"b","quantity":1}]}""", """{"orderId":"o","lines":[{"sku":"a","quantity":1},]}""",
        """{"orderId":"o","lines":[{"sku":"a"}]}""", """{"orderId":"o"}""", """{"orderId":null,"lines":[{"sku":"a","quantity":1}]}""",
        """{"orderId":"o","lines":[{"sku":"a","quantity":1}] /* c */}""", "{\"orderId\":\"" + new string('a', 65) + "\",\"lines\":[{\"sku\":\"s\",\"quantity\":1}]}",
        "{\"orderId\":\"o\",\"lines\":[" + string.Join(',', Enumerable.Repeat("""{"sku":"a","quantity":1}""", 101)) + "]}",
        // valid, but not in the fast path's narrow shape: the document parser accepts them as before
        """{"orderId":"\u0041","lines":[{"sku":"a","quantity":1}]}""", """{"orderId":"o","lines":[{"sku":"a","quantity":1}],"note":1}""",
        """{"orderId":"o","lines":[{"sku":"a","quantity":1,"x":null}]}""",
        // customerId: invalid, twice, or null (valid: no customer)
        """{"orderId":"o","customerId":"a b","lines":[{"sku":"a","quantity":1}]}""", """{"orderId":"o","customerId":7,"lines":[{"sku":"a","quantity":1}]}""",
        """{"orderId":"o","customerId":"c","customerId":"d","lines":[{"sku":"a","quantity":1}]}""",
        """{"orderId":"o","customerId":null,"lines":[{"sku":"a","quantity":1}]}""",
    ];

    [Theory]
    [MemberData(nameof(AcceptedBodies))]
    public void Takes_canonical_bodies_and_reads_what_the_document_parser_reads(string body)
    {
        var fast = DeductionJson.TryRead(Encoding.UTF8.GetBytes(body));

        Assert.NotNull(fast);
        AssertSameAsDocumentParser(body, fast);
    }

    [Theory]
    [MemberData(nameof(LeftToTheDocumentParser))]
    public void Leaves_everything_else_to_the_document_parser(string body)
    {
        Assert.Null(DeductionJson.TryRead(Encoding.UTF8.GetBytes(body)));
    }

    [Fact]
    public void Never_accepts_a_fuzz_body_the_document_parser_refuses_or_reads_otherwise()
    {
        var cases = new FuzzCases(10, "k", "k", ["a", "b", "c"]).Generate(3000)
            .Where(c => c.Path.EndsWith("/deductions", StringComparison.Ordinal) && c.Body is not null);
        var checkedCount = 0;
        foreach (var request in cases)
        {
            var fast = DeductionJson.TryRead(request.Body);
            if (fast is not null)
            {
                Assert.True(System.Text.Unicode.Utf8.IsValid(request.Body), "accepted a body that is not UTF-8");
                AssertSameAsDocumentParser(Encoding.UTF8.GetString(request.Body!), fast);
            }

            checkedCount++;
        }

        Assert.True(checkedCount > 100, $"only {checkedCount} deduction bodies generated");
    }

    private static void AssertSameAsDocumentParser(string body, DeductionRequest fast)
    {
        using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
        var parser = new RequestParser();
        var expected = parser.Deduction(document.RootElement);
        Assert.NotNull(expected);
        Assert.Equal(expected.OrderId, fast.OrderId);
        Assert.Equal(expected.Lines, fast.Lines);
        Assert.Equal(expected.CustomerId, fast.CustomerId);
    }
}
