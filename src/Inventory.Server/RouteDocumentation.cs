using System.Text.Json.Nodes;
using Inventory.Api.Http;
using Inventory.Domain;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Inventory.Server;

/// <summary>
/// What the OpenAPI document says of each route of <see cref="InventoryRoutes"/>: summary, parameters, key, body,
/// and every answer the handlers can send, with its content type (problem+json where it is a problem).
/// </summary>
internal static class RouteDocumentation
{
    public const string FunctionKeyHeader = "functionKey";
    public const string FunctionKeyQuery = "functionKeyQuery";
    public const string AdminKeyHeader = "adminKey";
    public const string AdminKeyQuery = "adminKeyQuery";

    private const string IdPattern = "^(?!\\.+$)[A-Za-z0-9._:-]{1,64}$";

    /// <summary>One answer: a JSON body, a problem, or (503 of a deduction or cancel) either.</summary>
    private sealed record Answer(int Status, string Description, Type? Json = null, bool Problem = false, bool Validation = false, string[]? Headers = null);

    private sealed record Doc(string Summary, Type? Body, JsonNode? BodyExample, params Answer[] Answers);

    private static Answer Json(int status, Type type, string description, params string[] headers) => new(status, description, type, Headers: headers);

    private static Answer Problem(int status, string description, params string[] headers) => new(status, description, Problem: true, Headers: headers);

    private static Answer Invalid(string description) => new(400, description, Problem: true, Validation: true);

    private static readonly Answer BodyTooLarge = Problem(413, "The body is larger than the route's limit.");
    private static readonly Answer NotJson = Problem(415, "The body is not sent as application/json.");
    private static readonly Answer Rebuilding = Problem(503, "A dependency did not answer in time (dependency names it), or, with cause and Retry-After, nothing changed: the SKU's partition is being rebuilt (partition_rebuilding) or Redis refused the write (redis_oom, redis_readonly, ...); retry with the same ids.", "Retry-After");
    private static readonly Answer DependencyDown = Problem(503, "A dependency (Redis or SQL) did not answer in time (dependency names it), or Redis refused outright (cause, with Retry-After); retry.", "Retry-After");
    private static readonly Answer NoEngine = Problem(503, "SQL is not configured (Inventory:Sql:Provider = none) or did not answer in time.");

    private static readonly JsonNode DeductionExample = new JsonObject { ["orderId"] = "A100", ["customerId"] = "C42", ["lines"] = new JsonArray(new JsonObject { ["sku"] = "iphone-15", ["quantity"] = 2 }) };

    private static readonly Dictionary<string, Doc> Docs = new()
    {
        ["Deduct"] = new("Check and deduct every line of an order, once per order id", typeof(DeductionRequestBody), DeductionExample,
            Json(200, typeof(DeductionBody), "Deducted. A repeat with the same id and lines answers the original body with Idempotent-Replayed: true.", "Idempotent-Replayed"),
            Invalid("The body is invalid; errors names each field at fault (e.g. lines[2].quantity)."),
            Problem(404, "A SKU was never stocked (skus lists them); nothing was deducted."),
            new(409, "Nothing deducted: a line is short (status insufficient, with the short lines; not remembered), a line would take the customer past the SKU's limitPerCustomer (status limit_exceeded, with limit, alreadyTaken and requested per line over; not remembered), or the id was cancelled first (status cancelled).", typeof(DeductionConflictBody)),
            BodyTooLarge, NotJson,
            Problem(422, "The order id was already used with other lines."),
            Problem(429, "Too many requests for a SKU (hot-SKU limiter); retry after Retry-After seconds.", "Retry-After"),
            new(503, "application/json status unknown: the outcome is unknown, retry with the same order id (a replay never deducts twice). problem+json with outcome not_deducted: nothing was deducted, for the cause it names (journal_backlog, partition_rebuilding, ledger_unavailable, or a Redis refusal such as redis_oom or redis_readonly); retry after Retry-After with the same order id. problem+json with dependency: a backing service did not answer; retry with the same order id.", typeof(OutcomeBody), Problem: true, Headers: ["Retry-After"])),
        ["DeductBatch"] = new("Deduct up to 500 orders; results in request order", typeof(DeductionBatchRequestBody),
            new JsonObject { ["deductions"] = new JsonArray(DeductionExample.DeepClone()) },
            Json(200, typeof(BatchBody), "One result per deduction, in request order: status and body as the single route would answer; a repeated id is a replay."),
            Invalid("The body is invalid; errors names each field at fault (e.g. deductions[3].lines[0].sku)."),
            BodyTooLarge, NotJson, DependencyDown),
        ["GetDeduction"] = new("An order's state, lines and whether SQL holds it", null, null,
            Json(200, typeof(OrderBody), "The order, from Redis while it remembers it (persisted null when SQL did not answer), else from SQL's ledger."),
            Invalid("The order id is not a valid id."),
            Problem(404, "No deduction is known for this order id."),
            Problem(503, "Redis did not answer, or Redis forgot the order and SQL did not answer; retry.")),
        ["CancelDeduction"] = new("Restock every line of an order exactly once", null, null,
            Json(200, typeof(DeductionBody), "Restocked (status cancelled, the restocked lines); a repeat says Idempotent-Replayed: true.", "Idempotent-Replayed"),
            Invalid("The order id is not a valid id."),
            Problem(404, "No deduction is known for this order id; a later deduction under it will be refused."),
            new(503, "application/json status unknown: the outcome is unknown, retry the cancel. problem+json with cause: nothing was cancelled or restocked (partition_rebuilding, ledger_unavailable, or a Redis refusal such as redis_oom); retry after Retry-After. problem+json with dependency: a backing service did not answer; retry.", typeof(OutcomeBody), Problem: true, Headers: ["Retry-After"])),
        ["ReturnDeduction"] = new("Restock part of a deducted order, once per return id, never more than is left", typeof(ReturnRequestBody),
            new JsonObject { ["returnId"] = "R1", ["lines"] = new JsonArray(new JsonObject { ["sku"] = "iphone-15", ["quantity"] = 1 }), ["reason"] = "damaged" },
            Json(200, typeof(ReturnBody), "Restocked these lines; a repeat with the same return id and lines says Idempotent-Replayed: true.", "Idempotent-Replayed"),
            Invalid("The order id or the body is invalid; errors names the field."),
            Problem(404, "No deduction is known for this order id, or a SKU is not in the order."),
            new(409, "Nothing restocked: the lines exceed what is left to return (status exceeds) or the order was cancelled (status cancelled).", typeof(ReturnConflictBody)),
            BodyTooLarge, NotJson,
            Problem(422, "The return id was already used with other lines."),
            new(503, "application/json status unknown: the outcome is unknown, retry with the same return id. problem+json with cause: nothing was restocked (partition_rebuilding, ledger_unavailable, or a Redis refusal such as redis_oom); retry after Retry-After with the same return id. problem+json with dependency: a backing service did not answer; retry.", typeof(ReturnStatusBody), Problem: true, Headers: ["Retry-After"])),
        ["CreateReservation"] = new("Hold units for a while (a reservation); they come back by themselves at expiresAt unless committed", typeof(HoldRequestBody),
            new JsonObject { ["reservationId"] = "H100", ["lines"] = new JsonArray(new JsonObject { ["sku"] = "iphone-15", ["quantity"] = 1 }), ["ttlSeconds"] = 600, ["customerId"] = "C42" },
            Json(200, typeof(HoldBody), "Held: nobody else can buy these units until expiresAt. A repeat with the same id and lines answers the original body with Idempotent-Replayed: true.", "Idempotent-Replayed"),
            Invalid("The body is invalid (ttlSeconds 30 to 3600); errors names each field at fault."),
            Problem(404, "A SKU was never stocked (skus lists them); nothing was held."),
            new(409, "Nothing held: a line is short (status insufficient: sku, requested, available) or would take the customer past the SKU's per-customer limit (status limit_exceeded: sku, limit, alreadyTaken, requested). Not remembered: the id may be used again.", typeof(HoldConflictBody)),
            BodyTooLarge, NotJson,
            Problem(422, "The reservation id was already used with other lines or another customer."),
            new(503, "application/json status unknown: the outcome is unknown, retry with the same reservation id (it never holds twice; unfinished, it expires by itself). problem+json with cause: nothing was held (journal_backlog, partition_rebuilding, or a Redis refusal); retry after Retry-After. problem+json with dependency: a backing service did not answer; retry.", typeof(HoldStatusBody), Problem: true, Headers: ["Retry-After"])),
        ["GetReservation"] = new("A reservation's state, lines and expiry", null, null,
            Json(200, typeof(ReservationBody), "held, committed (with orderId), released or expired."),
            Invalid("The reservation id is not a valid id."),
            Problem(404, "No reservation with this id was held."),
            DependencyDown),
        ["CommitReservation"] = new("Turn held units into an order's deduction, without checking stock again", typeof(CommitHoldRequestBody),
            new JsonObject { ["orderId"] = "A100" },
            Json(200, typeof(DeductionBody), "Deducted under the order id (status deducted, lines with remaining); afterwards an ordinary order (GET, cancel, returns). A repeat says Idempotent-Replayed: true.", "Idempotent-Replayed"),
            Invalid("The reservation id or the body is invalid; errors names the field."),
            Problem(404, "No reservation with this id was held."),
            new(409, "Not committed: expiresAt passed (status expired; the units came back), the reservation was released (status released), or the order id already stands for another deduction or commit (status conflict).", typeof(HoldStatusBody)),
            BodyTooLarge, NotJson,
            new(503, "application/json status unknown: retry the commit (idempotent). problem+json: nothing changed (cause, Retry-After) or a dependency did not answer; retry.", typeof(HoldStatusBody), Problem: true, Headers: ["Retry-After"])),
        ["ReleaseReservation"] = new("Give held units back, exactly once", null, null,
            Json(200, typeof(ReleaseBody), "Released: the units are sellable again (lines with the stock right after). A repeat says Idempotent-Replayed: true.", "Idempotent-Replayed"),
            Invalid("The reservation id is not a valid id."),
            Problem(404, "No reservation with this id was held."),
            new(409, "Not released: the reservation was committed (status committed) or expired (status expired; the units came back already).", typeof(HoldStatusBody)),
            new(503, "application/json status unknown: retry the release (idempotent). problem+json: a dependency did not answer; retry.", typeof(HoldStatusBody), Problem: true, Headers: ["Retry-After"])),
        ["GetStockHistory"] = new("A SKU's changes from SQL's ledger, oldest first", null, null,
            Json(200, typeof(HistoryBody), "One page of changes; next is the after of the following page, null on the last."),
            Invalid("after or limit is invalid (limit 1 to 500)."),
            Problem(404, "The SKU was never stocked."),
            Problem(503, "SQL is not configured or did not answer.")),
        ["GetStock"] = new("Units available and reserved of one SKU", null, null,
            Json(200, typeof(StockLevelBody), "The SKU's stock: available (sellable now) and reserved (held by reservations, already out of available)."),
            Invalid("The SKU is not a valid id."),
            Problem(404, "The SKU was never stocked."),
            DependencyDown),
        ["ListStock"] = new("Units available of up to 100 SKUs", null, null,
            Json(200, typeof(StockListBody), "Known SKUs with their stock; SKUs never stocked in unknown."),
            Invalid("skus is empty, lists more than 100 SKUs, or holds an invalid id."),
            DependencyDown),
        ["SetStock"] = new("Set absolute stock and the per-customer limit, optionally compare-and-set (admin)", typeof(SetStockRequestBody),
            new JsonObject { ["available"] = 100, ["expectedAvailable"] = 90, ["limitPerCustomer"] = 2 },
            Json(200, typeof(StockBody), "The stock as set (limitPerCustomer absent: no limit)."),
            Invalid("The SKU or the body is invalid; errors names the field."),
            Problem(409, "expectedAvailable did not match; sku and available give the current stock."),
            BodyTooLarge, NotJson, Rebuilding),
        ["AdjustStock"] = new("Add or remove units, idempotent per adjustment id (admin)", typeof(AdjustmentRequestBody),
            new JsonObject { ["adjustmentId"] = "restock-2024-06-01", ["delta"] = 50, ["reason"] = "restock" },
            Json(200, typeof(AdjustmentBody), "Applied; a repeat with the same id and delta says Idempotent-Replayed: true.", "Idempotent-Replayed"),
            Invalid("The SKU or the body is invalid (delta 0 included); errors names the field."),
            Problem(404, "The SKU was never stocked."),
            Problem(409, "The change would take stock below zero; sku and available give the current stock."),
            BodyTooLarge, NotJson,
            Problem(422, "The adjustment id was already used with another SKU or delta."),
            Rebuilding),
        ["Health"] = new("Dependency status (anonymous); answers within about a second whatever is down", null, null,
            Json(200, typeof(HealthBody), "healthy, or degraded: SQL or the queue is down (or did not answer within the check timeout), or a Redis node is past its memory threshold, and sales go on. The redis entry's data holds each node's memory and any rebuild's progress."),
            Json(503, typeof(HealthBody), "unhealthy: Redis is down, full or refusing writes, partitions are being rebuilt from SQL (data.rebuild: rows done / total, elapsed, estimate), or durable acknowledgements are on and a Redis primary has no replica; sales fail (on the partitions being rebuilt only).")),
        ["TaskStats"] = new("Task backlog per shard and status, oldest pending age, journal per partition", null, null,
            Json(200, typeof(Inventory.Engine.EngineStats), "The task engine's backlog and each partition's journal length and SQL cursor."), NoEngine),
        ["DeadTasks"] = new("Dead tasks (admin)", null, null,
            Json(200, typeof(DeadTasksBody), "Dead tasks, oldest first."),
            Invalid("limit is not an integer from 1 to 1000."), NoEngine),
        ["RetryTask"] = new("Put a dead task back to pending (admin)", null, null,
            Json(200, typeof(RetriedTaskBody), "The task is pending again."),
            Invalid("The id is not a positive task id."),
            Problem(404, "No dead task has this id."), NoEngine),
        ["RedrivePoison"] = new("Move poisoned wake-ups back to inventory-tasks (admin)", null, null,
            Json(200, typeof(RedriveBody), "How many messages were moved."),
            Problem(503, "The storage account did not answer; nothing is lost (messages are sent before they are deleted), retry.")),
        ["GetReconciliation"] = new("The last reconciliation run of this instance", null, null,
            Json(200, typeof(ReconciliationBody), "The last run: SKUs checked, drifted SKUs with amounts and sequences."),
            Problem(404, "No run has finished in this instance."), NoEngine),
        ["RunReconciliation"] = new("Reconcile Redis with SQL now (admin)", null, null,
            Json(200, typeof(ReconciliationBody), "The run just finished."), NoEngine),
    };

    private static readonly Dictionary<string, (string Description, JsonSchemaType Type)> ResponseHeaders = new()
    {
        ["Idempotent-Replayed"] = ("true when this answer repeats the original one (same id and content).", JsonSchemaType.String),
        ["Retry-After"] = ("Seconds to wait before retrying (on a 503, sent with a cause: a definite refusal).", JsonSchemaType.Integer),
    };

    /// <summary>The security schemes and servers, for the whole document.</summary>
    public static void DescribeDocument(OpenApiDocument document)
    {
        document.Info = new()
        {
            Title = "Inventory",
            Version = "v1",
            Description = "Flash-sale stock deduction in Redis, persisted to SQL by a task engine. Keys: the x-functions-key header " +
                "or the code query; the admin key opens every route. Errors are RFC 9457 problem+json with a traceId.",
            License = new() { Name = "Proprietary", Identifier = "LicenseRef-Proprietary" },
        };
        document.Servers =
        [
            new() { Url = "http://127.0.0.1:7071", Description = "./run (plain server or ./run --functions)" },
            new()
            {
                Url = "https://{functionApp}.azurewebsites.net",
                Description = "The Azure Functions app deployed by azd up",
                Variables = new Dictionary<string, OpenApiServerVariable> { ["functionApp"] = new() { Default = "inventory", Description = "The function app's name" } },
            },
        ];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            [FunctionKeyHeader] = KeyScheme(ParameterLocation.Header, "x-functions-key", "A function key (or the admin key) in the x-functions-key header."),
            [FunctionKeyQuery] = KeyScheme(ParameterLocation.Query, "code", "A function key (or the admin key) in the code query parameter."),
            [AdminKeyHeader] = KeyScheme(ParameterLocation.Header, "x-functions-key", "The admin key in the x-functions-key header."),
            [AdminKeyQuery] = KeyScheme(ParameterLocation.Query, "code", "The admin key in the code query parameter."),
        };
        foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
        {
            tag.Description = TagDescription(tag.Name);
        }
    }

    /// <summary>
    /// The values a status can take, per body type: generated clients get enums. Also says what a null "persisted"
    /// means and when a 409's lines are absent.
    /// </summary>
    public static Task DescribeSchemaAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        string[]? statuses = context.JsonTypeInfo.Type.Name switch
        {
            nameof(DeductionBody) => ["deducted", "cancelled"],
            nameof(DeductionConflictBody) => ["insufficient", "limit_exceeded", "cancelled"],
            nameof(OutcomeBody) => ["cancelled", "unknown"],
            nameof(ReturnConflictBody) => ["exceeds", "cancelled"],
            nameof(ReturnStatusBody) => ["cancelled", "unknown"],
            nameof(OrderBody) => ["deducted", "cancelled", "pending"],
            nameof(HealthBody) => ["healthy", "degraded", "unhealthy"],
            nameof(HoldBody) => ["held"],
            nameof(HoldConflictBody) => ["insufficient", "limit_exceeded"],
            nameof(HoldStatusBody) => ["expired", "released", "committed", "conflict", "unknown"],
            nameof(ReleaseBody) => ["released"],
            nameof(ReservationBody) => ["held", "committed", "released", "expired"],
            nameof(RetriedTaskBody) => ["pending"],
            _ => null,
        };
        if (statuses is not null && schema.Properties?.TryGetValue("status", out var status) == true && status is OpenApiSchema statusSchema)
        {
            statusSchema.Enum = statuses.Select(s => (JsonNode)JsonValue.Create(s)).ToList();
        }

        if (context.JsonTypeInfo.Type == typeof(UnavailableProblem))
        {
            DescribeUnavailableProblem(schema);
        }

        if ((context.JsonTypeInfo.Type == typeof(DeductionConflictBody) || context.JsonTypeInfo.Type == typeof(ReturnConflictBody))
            && schema.Properties?.TryGetValue("lines", out var lines) == true && lines is OpenApiSchema linesSchema)
        {
            linesSchema.Description = context.JsonTypeInfo.Type == typeof(DeductionConflictBody)
                ? "With status insufficient: the short lines (requested, available). With status limit_exceeded: the lines over the customer's limit (limit, alreadyTaken, requested). Absent with status cancelled."
                : "With status exceeds: the lines asking more than is left to return. Absent with status cancelled.";
        }

        if (context.JsonTypeInfo.Type == typeof(OrderBody) && schema.Properties?.TryGetValue("persisted", out var persisted) == true && persisted is OpenApiSchema persistedSchema)
        {
            persistedSchema.Description = "true: SQL's ledger holds every line (and the restock of a cancelled order); false: not yet; " +
                "null: SQL did not answer within a second, the rest of the answer is Redis's.";
        }

        return Task.CompletedTask;
    }

    private static void DescribeUnavailableProblem(OpenApiSchema schema)
    {
        schema.Description = "A 503 problem. With cause (and a Retry-After header) it is a definite answer: nothing changed, retry later " +
            "with the same ids. With dependency, a backing service did not answer in time: retry with the same ids.";
        var descriptions = new Dictionary<string, string>
        {
            ["traceId"] = "Finds the request in the logs.",
            ["cause"] = "Why nothing changed: journal_backlog (SQL is behind, the partition's journal is at its bound), partition_rebuilding " +
                "(the partition is being rebuilt from SQL after Redis lost its data), ledger_unavailable (Redis forgot the id and SQL did not answer), " +
                "or a Redis refusal: redis_oom (maxmemory reached), redis_readonly, redis_loading, redis_misconf, redis_noscript, redis_busy, " +
                "redis_masterdown, redis_clusterdown, redis_tryagain.",
            ["outcome"] = "On deductions: not_deducted, nothing was deducted under this order id.",
            ["dependency"] = "The backing service that did not answer in time: redis, sql or queue.",
            ["orderId"] = "The order the answer is about (deductions, cancels and returns).",
            ["returnId"] = "The return the answer is about (returns).",
            ["reservationId"] = "The reservation the answer is about (reservations).",
            ["sku"] = "The SKU the answer is about (stock writes).",
        };
        foreach (var (name, description) in descriptions)
        {
            if (schema.Properties?.TryGetValue(name, out var property) == true && property is OpenApiSchema propertySchema)
            {
                propertySchema.Description = description;
            }
        }

        if (schema.Properties?.TryGetValue("outcome", out var outcome) == true && outcome is OpenApiSchema outcomeSchema)
        {
            outcomeSchema.Enum = [JsonValue.Create("not_deducted")];
        }

        if (schema.Properties?.TryGetValue("dependency", out var dependency) == true && dependency is OpenApiSchema dependencySchema)
        {
            dependencySchema.Enum = ["redis", "sql", "queue"];
        }
    }

    public static RouteHandlerBuilder Describe(this RouteHandlerBuilder builder, RouteSpec route)
    {
        if (!Docs.TryGetValue(route.Name, out var doc))
        {
            throw new InvalidOperationException($"Route {route.Name} has no API documentation in {nameof(RouteDocumentation)}.");
        }

        builder.WithSummary(doc.Summary).WithTags(route.Template.Split('/')[0]);

        // Not Accepts(...) or Produces(...): Accepts makes routing answer a wrong content type with a bare 415 before
        // the handler can answer with problem+json, as the Functions host lets it. The whole operation is written
        // here instead, so a status with two content types (503: unknown outcome or problem) is one response.
        builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            operation.Parameters = Parameters(route).ToList();
            operation.Security = Security(route.Access, context.Document);
            if (doc.Body is { } body)
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(body, null, cancellationToken), Example = doc.BodyExample?.DeepClone() },
                    },
                };
            }

            var answers = route.Access == RouteAccess.Anonymous
                ? doc.Answers
                : doc.Answers.Append(Problem(401, route.Access == RouteAccess.Admin ? "The admin key is missing or wrong." : "The key is missing or wrong."));
            operation.Responses = new OpenApiResponses();
            foreach (var answer in answers.OrderBy(a => a.Status))
            {
                operation.Responses[answer.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = await ResponseAsync(answer, context, cancellationToken);
            }
        });
        return builder;
    }

    private static async Task<OpenApiResponse> ResponseAsync(Answer answer, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var response = new OpenApiResponse { Description = answer.Description, Content = new Dictionary<string, OpenApiMediaType>() };
        if (answer.Json is { } json)
        {
            response.Content["application/json"] = new() { Schema = await SchemaAsync(json, context, cancellationToken) };
        }

        if (answer.Problem)
        {
            var problem = answer.Validation ? typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails)
                : answer.Status == 503 ? typeof(UnavailableProblem)
                : typeof(Microsoft.AspNetCore.Mvc.ProblemDetails);
            response.Content["application/problem+json"] = new() { Schema = await SchemaAsync(problem, context, cancellationToken) };
        }

        if (answer.Headers is { Length: > 0 } headers)
        {
            response.Headers = headers.ToDictionary(h => h, h => (IOpenApiHeader)new OpenApiHeader
            {
                Description = ResponseHeaders[h].Description,
                Schema = new OpenApiSchema { Type = ResponseHeaders[h].Type },
            });
        }

        return response;
    }

    /// <summary>Response bodies go into components (named, so generated clients get named types), referenced here.</summary>
    private static async Task<IOpenApiSchema> SchemaAsync(Type type, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var schema = await context.GetOrCreateSchemaAsync(type, null, cancellationToken);
        var name = SchemaName(type);
        context.Document!.AddComponent(name, schema);
        return new OpenApiSchemaReference(name, context.Document);
    }

    private static string SchemaName(Type type) => type.Name;

    private static IEnumerable<IOpenApiParameter> Parameters(RouteSpec route)
    {
        foreach (var segment in route.Template.Split('/').Where(s => s.StartsWith('{')))
        {
            var name = segment.Trim('{', '}');
            yield return name == "id"
                ? new OpenApiParameter { Name = name, In = ParameterLocation.Path, Required = true, Description = "The task id (from GET /api/tasks/dead).", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "1" } }
                : new OpenApiParameter
                {
                    Name = name, In = ParameterLocation.Path, Required = true,
                    Description = $"1 to {Identifiers.MaxLength} characters of [A-Za-z0-9._:-], not only dots.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = Identifiers.MaxLength, Pattern = IdPattern },
                    Example = name switch { "sku" => "iphone-15", "reservationId" => "H100", _ => "A100" },
                };
        }

        if (route.Name == "ListStock")
        {
            yield return new OpenApiParameter
            {
                Name = "skus", In = ParameterLocation.Query, Required = true,
                Description = $"1 to {Limits.MaxSkusPerQuery} SKUs, comma separated.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1 },
                Example = "iphone-15,pixel-9",
            };
        }

        if (route.Name == "DeadTasks")
        {
            yield return new OpenApiParameter
            {
                Name = "limit", In = ParameterLocation.Query, Required = false,
                Description = "How many dead tasks to list.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1", Maximum = EngineHandlers.MaxDeadListed.ToString(System.Globalization.CultureInfo.InvariantCulture), Default = 100 },
            };
        }
    }

    /// <summary>Either key form opens a route: one requirement per form (OpenAPI alternatives), none for anonymous.</summary>
    private static List<OpenApiSecurityRequirement> Security(RouteAccess access, OpenApiDocument? document)
    {
        var (header, query) = access == RouteAccess.Admin ? (AdminKeyHeader, AdminKeyQuery) : (FunctionKeyHeader, FunctionKeyQuery);
        return access == RouteAccess.Anonymous
            ? []
            :
            [
                new() { [new OpenApiSecuritySchemeReference(header, document)] = [] },
                new() { [new OpenApiSecuritySchemeReference(query, document)] = [] },
            ];
    }

    private static OpenApiSecurityScheme KeyScheme(ParameterLocation location, string name, string description) =>
        new() { Type = SecuritySchemeType.ApiKey, In = location, Name = name, Description = description };

    private static string TagDescription(string? tag) => tag switch
    {
        "deductions" => "Check and deduct an order's stock, read it, cancel it.",
        "stock" => "Read and change stock.",
        "reservations" => "Hold units for a while, then commit them to an order or release them; unclaimed holds expire.",
        "health" => "Dependency status for probes.",
        "tasks" => "The task engine that persists to SQL (operators).",
        "reconciliation" => "Redis against SQL's ledger (operators).",
        _ => "",
    };
}

/// <summary>
/// Documentation only: the body of a 503 problem+json as the handlers write it (ProblemDetails and its extensions).
/// Every extension is optional: which ones appear depends on why nothing could be done.
/// </summary>
internal sealed class UnavailableProblem
{
    public string Type { get; init; } = "";

    public string Title { get; init; } = "";

    public int Status { get; init; }

    public string Detail { get; init; } = "";

    public string TraceId { get; init; } = "";

    public string Cause { get; init; } = "";

    public string Outcome { get; init; } = "";

    public string Dependency { get; init; } = "";

    public string OrderId { get; init; } = "";

    public string ReturnId { get; init; } = "";

    public string ReservationId { get; init; } = "";

    public string Sku { get; init; } = "";
}

/// <summary>
/// Documentation only: a deduction's 409, either InsufficientBody (status insufficient, with lines),
/// LimitExceededBody (status limit_exceeded, with lines) or OutcomeBody (status cancelled, no lines), as one schema.
/// Not a oneOf: client generators (Kiota) cannot make an error type of a union, so a generated client would see a
/// bare 409 without its body.
/// </summary>
internal sealed class DeductionConflictBody
{
    public required string OrderId { get; init; }

    public required string Status { get; init; }

    public IReadOnlyList<DeductionConflictLine> Lines { get; init; } = [];
}

/// <summary>Documentation only: a line of a deduction's 409, short (available) or over the customer's limit (limit, alreadyTaken).</summary>
internal sealed class DeductionConflictLine
{
    public required string Sku { get; init; }

    public required long Requested { get; init; }

    /// <summary>With status insufficient: units available.</summary>
    public long? Available { get; init; }

    /// <summary>With status limit_exceeded: the SKU's limitPerCustomer.</summary>
    public long? Limit { get; init; }

    /// <summary>With status limit_exceeded: the customer's units of the SKU so far.</summary>
    public long? AlreadyTaken { get; init; }
}

/// <summary>
/// Documentation only: a return's 409, either ExceedsBody (status exceeds, with lines) or ReturnStatusBody
/// (status cancelled, no lines), as one schema for the same reason as <see cref="DeductionConflictBody"/>.
/// </summary>
internal sealed class ReturnConflictBody
{
    public required string OrderId { get; init; }

    public required string ReturnId { get; init; }

    public required string Status { get; init; }

    public IReadOnlyList<ExceedingLineBody> Lines { get; init; } = [];
}

/// <summary>
/// Documentation only: a hold's 409, status insufficient (lines: sku, requested, available) or limit_exceeded
/// (lines: sku, limit, alreadyTaken, requested), as one schema for the same reason as <see cref="DeductionConflictBody"/>.
/// </summary>
internal sealed class HoldConflictBody
{
    public required string ReservationId { get; init; }

    public required string Status { get; init; }

    public IReadOnlyList<HoldConflictLine> Lines { get; init; } = [];
}

/// <summary>Documentation only: a line of <see cref="HoldConflictBody"/>; available with insufficient, limit and alreadyTaken with limit_exceeded.</summary>
internal sealed class HoldConflictLine
{
    public required string Sku { get; init; }

    public required long Requested { get; init; }

    public long? Available { get; init; }

    public long? Limit { get; init; }

    public long? AlreadyTaken { get; init; }
}
