using System.Text.Json;

namespace Inventory.Infra.Tests;

public sealed class MonitoringTests
{
    /// <summary>The meter's instruments the operators chart (names as the app's System.Diagnostics.Metrics meter emits them).</summary>
    public static readonly IReadOnlyList<string> ChartedMetrics =
    [
        "inventory.deductions.accepted",
        "inventory.deductions.rejected",
        "inventory.throttled",
        "inventory.replays",
        "inventory.redis.latency",
        "inventory.tasks.backlog",
        "inventory.tasks.retries",
        "inventory.tasks.dead",
        "inventory.journal.recovered",
        "inventory.persistence.lag",
        "inventory.drift",
    ];

    private static List<JsonElement> WorkbookItems(Snapshot snapshot)
    {
        var workbook = snapshot.Single("Microsoft.Insights/workbooks");
        var serialized = workbook.GetProperty("properties").GetProperty("serializedData").GetString()!;
        using var document = JsonDocument.Parse(serialized);
        Assert.Equal("Notebook/1.0", document.RootElement.GetProperty("version").GetString());
        return document.RootElement.GetProperty("items").EnumerateArray().Select(item => item.Clone()).ToList();
    }

    private static JsonElement Rule(Snapshot snapshot, string suffix) =>
        Assert.Single(snapshot.OfType("Microsoft.Insights/scheduledQueryRules"),
            rule => rule.GetProperty("name").GetString()!.EndsWith(suffix, StringComparison.Ordinal));

    private static JsonElement Criterion(JsonElement rule) =>
        Assert.Single(rule.GetProperty("properties").GetProperty("criteria").GetProperty("allOf").EnumerateArray());

    [Fact]
    public void TheWorkbookChartsEveryInventoryMetricOnce()
    {
        var snapshot = Infra.SnapshotOf(Infra.Defaults);
        var workbook = snapshot.Single("Microsoft.Insights/workbooks");
        var charts = WorkbookItems(snapshot).Where(item => item.GetProperty("type").GetInt32() == 3).ToList();

        Assert.Equal(snapshot.Single("Microsoft.Insights/components").GetProperty("id").GetString(),
            workbook.GetProperty("properties").GetProperty("sourceId").GetString());
        foreach (var metric in ChartedMetrics)
        {
            var chart = Assert.Single(charts, item =>
                item.GetProperty("content").GetProperty("query").GetString()!.Contains($"where name == '{metric}'", StringComparison.Ordinal));
            var content = chart.GetProperty("content");
            Assert.StartsWith("customMetrics\n", content.GetProperty("query").GetString(), StringComparison.Ordinal);
            Assert.Equal("TimeRange", content.GetProperty("timeContextFromParameter").GetString());
            Assert.Equal("timechart", content.GetProperty("visualization").GetString());
        }

        Assert.Equal(ChartedMetrics.Count, charts.Count);
    }

    [Fact]
    public void TheWorkbookDeclaresTheTimeRangeItsChartsUse()
    {
        var parameters = Assert.Single(WorkbookItems(Infra.SnapshotOf(Infra.Defaults)), item => item.GetProperty("type").GetInt32() == 9);

        Assert.Contains(parameters.GetProperty("content").GetProperty("parameters").EnumerateArray(),
            parameter => parameter.GetProperty("name").GetString() == "TimeRange");
    }

    [Fact]
    public void RejectionsAndBacklogAreSplitByTheirDimension()
    {
        var charts = WorkbookItems(Infra.SnapshotOf(Infra.Defaults)).Where(item => item.GetProperty("type").GetInt32() == 3).ToList();
        string QueryOf(string metric) => charts.Single(item => item.GetProperty("name").GetString() == metric)
            .GetProperty("content").GetProperty("query").GetString()!;

        Assert.Contains("customDimensions['reason']", QueryOf("inventory.deductions.rejected"), StringComparison.Ordinal);
        Assert.Contains("customDimensions['status']", QueryOf("inventory.tasks.backlog"), StringComparison.Ordinal);
    }

    [Fact]
    public void DeadTasksAlertFiresOnAnyDeadTask()
    {
        var criterion = Criterion(Rule(Infra.SnapshotOf(Infra.Defaults), "-dead-tasks"));

        Assert.Contains("where name == 'inventory.tasks.dead'", criterion.GetProperty("query").GetString(), StringComparison.Ordinal);
        Assert.Equal("GreaterThan", criterion.GetProperty("operator").GetString());
        Assert.Equal(0, criterion.GetProperty("threshold").GetDouble());
    }

    [Fact]
    public void OldestPendingTaskAgeAlertUsesTheThresholdParameter()
    {
        var byDefault = Criterion(Rule(Infra.SnapshotOf(Infra.Defaults), "-oldest-pending-task-age"));
        var configured = Criterion(Rule(Infra.SnapshotOf(Infra.SqlWithDeployer), "-oldest-pending-task-age"));

        Assert.Contains("where name == 'inventory.tasks.oldest_pending_age'", byDefault.GetProperty("query").GetString(), StringComparison.Ordinal);
        Assert.Equal(120, byDefault.GetProperty("threshold").GetDouble());
        Assert.Equal(300, configured.GetProperty("threshold").GetDouble());
    }

    [Fact]
    public void ServerErrorRateAlertCountsFiveHundreds()
    {
        var criterion = Criterion(Rule(Infra.SnapshotOf(Infra.Defaults), "-http-5xx-rate"));
        var query = criterion.GetProperty("query").GetString()!;

        Assert.StartsWith("requests\n", query, StringComparison.Ordinal);
        Assert.Contains("toint(resultCode) >= 500", query, StringComparison.Ordinal);
        Assert.Equal("GreaterThanOrEqual", criterion.GetProperty("operator").GetString());
        Assert.Equal(5, criterion.GetProperty("threshold").GetDouble());
    }

    [Fact]
    public void RedisErrorAlertWatchesExceptionsAndDependencies()
    {
        var query = Criterion(Rule(Infra.SnapshotOf(Infra.Defaults), "-redis-errors")).GetProperty("query").GetString()!;

        Assert.Contains("exceptions", query, StringComparison.Ordinal);
        Assert.Contains("dependencies", query, StringComparison.Ordinal);
        Assert.Contains("'Redis'", query, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("defaults")]
    [InlineData("postgres-with-cache")]
    public void EveryAlertWatchesApplicationInsights(string scenarioName)
    {
        var snapshot = Infra.SnapshotOf(Infra.AllScenarios.Single(scenario => scenario.Name == scenarioName));
        var component = snapshot.Single("Microsoft.Insights/components").GetProperty("id").GetString();
        var rules = snapshot.OfType("Microsoft.Insights/scheduledQueryRules");

        Assert.Equal(6, rules.Count);
        Assert.All(rules, rule =>
        {
            var properties = rule.GetProperty("properties");
            Assert.Equal([component], properties.GetProperty("scopes").EnumerateArray().Select(scope => scope.GetString()));
            Assert.True(properties.GetProperty("enabled").GetBoolean());
        });
    }

    [Fact]
    public void AlertsEmailOperatorsOnlyWhenAnAddressIsGiven()
    {
        var silent = Infra.SnapshotOf(Infra.Defaults);
        var mailing = Infra.SnapshotOf(Infra.PostgresWithCache);

        Assert.Empty(silent.OfType("Microsoft.Insights/actionGroups"));
        Assert.All(silent.OfType("Microsoft.Insights/scheduledQueryRules"),
            rule => Assert.Empty(rule.GetProperty("properties").GetProperty("actions").GetProperty("actionGroups").EnumerateArray()));

        var group = mailing.Single("Microsoft.Insights/actionGroups");
        Assert.Equal(Infra.AlertEmail,
            group.GetProperty("properties").GetProperty("emailReceivers")[0].GetProperty("emailAddress").GetString());
        Assert.All(mailing.OfType("Microsoft.Insights/scheduledQueryRules"), rule =>
            Assert.Equal([group.GetProperty("id").GetString()],
                rule.GetProperty("properties").GetProperty("actions").GetProperty("actionGroups").EnumerateArray().Select(id => id.GetString())));
    }
}
