using System.Reflection;

namespace Inventory.Redis;

/// <summary>The Lua scripts, loaded once from embedded .lua files. StackExchange.Redis sends EVALSHA once a server knows them.</summary>
internal static class RedisScripts
{
    public static readonly string Claim = Load("claim");
    public static readonly string Rebind = Load("rebind");
    public static readonly string Fence = Load("fence");
    public static readonly string Deduct = Load("deduct");
    public static readonly string Settle = Load("settle");
    public static readonly string Cancel = Load("cancel");
    public static readonly string Revert = Load("revert");
    public static readonly string SetStock = Load("set_stock");
    public static readonly string Adjust = Load("adjust");
    public static readonly string Snapshot = Load("snapshot");
    public static readonly string Reconcile = Load("reconcile");
    public static readonly string RestoreStock = Load("restore_stock");
    public static readonly string RestoreRecord = Load("restore_record");
    public static readonly string RestoreClaim = Load("restore_claim");
    public static readonly string RebuildLock = Load("rebuild_lock");
    public static readonly string RebuildDone = Load("rebuild_done");
    public static readonly string SeenMerge = Load("seen_merge");
    public static readonly string ReturnClaim = Load("return_claim");
    public static readonly string ReturnApply = Load("return_apply");
    public static readonly string ReturnFinish = Load("return_finish");
    public static readonly string RestoreReturn = Load("restore_return");
    public static readonly string HoldClaim = Load("hold_claim");
    public static readonly string Hold = Load("hold");
    public static readonly string HoldSettle = Load("hold_settle");
    public static readonly string HoldCommit = Load("hold_commit");
    public static readonly string HoldRelease = Load("hold_release");
    public static readonly string RestoreHold = Load("restore_hold");
    public static readonly string RestoreHoldHome = Load("restore_hold_home");
    public static readonly string RestoreHoldEnded = Load("restore_hold_ended");
    public static readonly string Touch = Load("touch");
    public static readonly string RestoreCustomer = Load("restore_customer");

    private static string Load(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Inventory.Redis.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"Embedded script {name}.lua is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
