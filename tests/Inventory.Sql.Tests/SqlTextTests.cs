using System.Text.RegularExpressions;
using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace Inventory.Sql.Tests;

/// <summary>
/// Checks the SQL text itself, without a database: T-SQL that cannot run here is parsed by SQL Server's own parser,
/// and every task transition must carry the lease token.
/// </summary>
public partial class SqlTextTests
{
    /// <summary>
    /// Task-table writes that are not transitions of a task the caller holds, each guarded by its status instead:
    /// claiming (sets the lease), the stale-lease sweep (lease expired), the fan-in on a parent (no lease on it),
    /// retrying a dead task and pruning done ones (no lease exists).
    /// </summary>
    private static readonly string[] Unleased = ["task_child_done", "task_claim", "task_prune", "task_retry_dead", "task_unlock_stale"];

    public static TheoryData<string> SqlServerFiles => new(SqlServerResources().Select(r => r.Name));

    [Theory]
    [MemberData(nameof(SqlServerFiles))]
    public void Every_SQL_Server_file_parses_with_zero_errors(string name)
    {
        var (_, errors) = Parse(SqlServerResources().Single(r => r.Name == name).Text);

        Assert.Empty(errors.Select(e => $"line {e.Line}: {e.Message}"));
    }

    [Fact]
    public void The_parser_reports_broken_T_SQL()
    {
        var (_, errors) = Parse("UPDATE dbo.task_00 SET status = WHERE id = @id;");

        Assert.NotEmpty(errors);
    }

    [Fact]
    public void Every_transition_on_a_task_table_is_guarded_by_the_lease_token_or_is_a_known_unleased_write()
    {
        var unguarded = new SortedSet<string>(StringComparer.Ordinal);
        var guarded = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (name, text) in SqlServerResources().Where(r => !r.Name.StartsWith("Migrations/", StringComparison.Ordinal)))
        {
            var (fragment, _) = Parse(text);
            var writes = new TaskWriteCollector();
            fragment.Accept(writes);
            foreach (var write in writes.Writes)
            {
                if (HasComparison(write.Predicates, "lease_token", "@token"))
                {
                    guarded.Add(name);
                }
                else
                {
                    unguarded.Add(name);
                    // The status check may sit in WHERE or, for the fan-in, in the CASE that moves a waiting parent to done.
                    Assert.True(HasColumn([.. write.Predicates, .. StatusCases(write.Statement)], "status"), $"{name}: an unleased task-table write must still check status");
                }
            }
        }

        Assert.Equal(Unleased, unguarded);
        Assert.Superset(new SortedSet<string>(["task_add_children", "task_complete", "task_fail", "task_renew"]), guarded);
    }

    [Theory]
    [InlineData("task_claim")]
    [InlineData("task_unlock_stale")]
    public void Claiming_statements_skip_locked_rows_and_lock_what_they_qualify(string name)
    {
        var (fragment, _) = Parse(SqlServerResources().Single(r => r.Name == name).Text);
        var hints = new HintCollector();
        fragment.Accept(hints);

        Assert.Superset(new SortedSet<TableHintKind>([TableHintKind.ReadPast, TableHintKind.UpdLock, TableHintKind.Rowlock]), new SortedSet<TableHintKind>(hints.Hints));
        if (name == "task_claim")
        {
            Assert.True(hints.HasOutput, "the claim returns the claimed rows from the same statement");
        }
    }

    [Fact]
    public void PostgreSQL_transitions_carry_the_lease_token_too()
    {
        var statements = new SqlStatements(SqlProvider.Postgres);
        foreach (var name in statements.Names.Where(n => !Unleased.Contains(n)))
        {
            var sql = statements.Get(name);
            if (TaskWritePattern().IsMatch(sql))
            {
                Assert.Contains("lease_token = @token", sql, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Both_dialects_have_every_named_statement_and_nothing_else()
    {
        var postgres = new SqlStatements(SqlProvider.Postgres).Names.Order(StringComparer.Ordinal);
        var sqlServer = new SqlStatements(SqlProvider.SqlServer).Names.Order(StringComparer.Ordinal);

        Assert.Equal(Statements.All.Order(StringComparer.Ordinal), postgres);
        Assert.Equal(postgres, sqlServer);
    }

    private static IEnumerable<(string Name, string Text)> SqlServerResources()
    {
        var assembly = typeof(SqlStatements).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Order(StringComparer.Ordinal))
        {
            var text = SqlStatements.ReadResource(assembly, resource);
            if (resource.StartsWith("Inventory.Sql.SqlServer.", StringComparison.Ordinal))
            {
                yield return (resource["Inventory.Sql.SqlServer.".Length..^4], text);
            }
            else if (resource.StartsWith("Inventory.Sql.Migrations.SqlServer.", StringComparison.Ordinal))
            {
                // DbUp substitutes $TaskShards$ before SQL Server sees the script.
                yield return ("Migrations/" + resource["Inventory.Sql.Migrations.SqlServer.".Length..], text.Replace("$TaskShards$", "16", StringComparison.Ordinal));
            }
        }
    }

    private static (TSqlFragment Fragment, IList<ParseError> Errors) Parse(string text)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(text);
        var fragment = parser.Parse(reader, out var errors);
        return (fragment, errors);
    }

    private static bool HasComparison(IEnumerable<BooleanExpression> predicates, string column, string variable) =>
        predicates.SelectMany(Comparisons).Any(c =>
            (IsColumn(c.FirstExpression, column) && IsVariable(c.SecondExpression, variable))
            || (IsColumn(c.SecondExpression, column) && IsVariable(c.FirstExpression, variable)));

    private static bool HasColumn(IEnumerable<BooleanExpression> predicates, string column) =>
        predicates.SelectMany(Comparisons).Any(c => IsColumn(c.FirstExpression, column) || IsColumn(c.SecondExpression, column));

    private static IEnumerable<BooleanComparisonExpression> Comparisons(BooleanExpression predicate)
    {
        var collector = new ComparisonCollector();
        predicate.Accept(collector);
        return collector.Comparisons;
    }

    private static IEnumerable<BooleanExpression> StatusCases(TSqlFragment statement)
    {
        var collector = new CaseCollector();
        statement.Accept(collector);
        return collector.Conditions;
    }

    private static bool IsColumn(ScalarExpression expression, string column) =>
        expression is ColumnReferenceExpression { MultiPartIdentifier.Identifiers: var parts } && parts[^1].Value == column;

    private static bool IsVariable(ScalarExpression expression, string variable) =>
        expression is VariableReference v && v.Name == variable;

    private static bool IsTaskTable(SchemaObjectName name) => name.BaseIdentifier.Value.StartsWith("task_", StringComparison.Ordinal);

    [GeneratedRegex(@"(UPDATE|DELETE FROM)\s+task_NN\b")]
    private static partial Regex TaskWritePattern();

    private sealed record TaskWrite(TSqlFragment Statement, IReadOnlyList<BooleanExpression> Predicates);

    /// <summary>UPDATE/DELETE statements whose target is a task table, directly or through a CTE over one.</summary>
    private sealed class TaskWriteCollector : TSqlFragmentVisitor
    {
        public List<TaskWrite> Writes { get; } = [];

        public override void ExplicitVisit(UpdateStatement node) =>
            Collect(node, node.UpdateSpecification.Target, node.UpdateSpecification.WhereClause, node.WithCtesAndXmlNamespaces);

        public override void ExplicitVisit(DeleteStatement node) =>
            Collect(node, node.DeleteSpecification.Target, node.DeleteSpecification.WhereClause, node.WithCtesAndXmlNamespaces);

        private void Collect(TSqlFragment statement, TableReference target, WhereClause? where, WithCtesAndXmlNamespaces? ctes)
        {
            if (target is not NamedTableReference named)
            {
                return;
            }

            var predicates = new List<BooleanExpression>();
            if (where?.SearchCondition is { } condition)
            {
                predicates.Add(condition);
            }

            var cte = ctes?.CommonTableExpressions.FirstOrDefault(c => c.ExpressionName.Value == named.SchemaObject.BaseIdentifier.Value);
            if (cte is not null)
            {
                var query = (QuerySpecification)cte.QueryExpression;
                if (!query.FromClause.TableReferences.OfType<NamedTableReference>().Any(t => IsTaskTable(t.SchemaObject)))
                {
                    return;
                }

                predicates.Add(query.WhereClause.SearchCondition);
            }
            else if (!IsTaskTable(named.SchemaObject))
            {
                return;
            }

            Writes.Add(new TaskWrite(statement, predicates));
        }
    }

    private sealed class ComparisonCollector : TSqlFragmentVisitor
    {
        public List<BooleanComparisonExpression> Comparisons { get; } = [];

        public override void Visit(BooleanComparisonExpression node) => Comparisons.Add(node);
    }

    private sealed class CaseCollector : TSqlFragmentVisitor
    {
        public List<BooleanExpression> Conditions { get; } = [];

        public override void Visit(SearchedWhenClause node) => Conditions.Add(node.WhenExpression);
    }

    private sealed class HintCollector : TSqlFragmentVisitor
    {
        public List<TableHintKind> Hints { get; } = [];

        public bool HasOutput { get; private set; }

        public override void Visit(TableHint node) => Hints.Add(node.HintKind);

        public override void Visit(OutputClause node) => HasOutput = true;
    }
}
