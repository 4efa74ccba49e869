namespace Inventory.Persistence;

/// <summary>
/// Stops a journal partition from accepting changes until it is rebuilt from SQL. The engine calls it when a
/// journal entry's (sku, seq) is already in the ledger with other content: Redis lost changes SQL has and numbered
/// new ones with the same sequences, so its stock and sequences are wrong and must not sell on.
/// </summary>
public interface IPartitionBlocker
{
    /// <param name="divergent">The journal entries whose (sku, seq) SQL holds with other content.</param>
    /// <param name="renumbered">Every entry of the page that SQL records under a new sequence instead (see <see cref="DivergentHistory"/>).</param>
    Task BlockAsync(int partition, IReadOnlyList<JournalEntry> divergent, IReadOnlyList<JournalEntry> renumbered, CancellationToken cancellationToken = default);
}
