using Microsoft.AspNetCore.Http;

namespace Inventory.Api.Http;

/// <summary>RFC 9457 problem details; validation problems name the field at fault in "errors".</summary>
internal static class Problems
{
    public static IResult Invalid(string field, string message) => Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static IResult Invalid(IDictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, title: "The request is invalid.", statusCode: StatusCodes.Status400BadRequest);

    public static IResult Status(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);
}
