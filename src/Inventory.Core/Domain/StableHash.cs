namespace Inventory.Domain;

/// <summary>
/// A string hash that is the same in every process and on every platform (unlike string.GetHashCode): FNV-1a, then
/// MurmurHash3's finaliser, because FNV-1a alone modulo a power of two depends only on the low bits of each character.
/// </summary>
public static class StableHash
{
    public static uint Of(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash ^= c;
            hash *= 16777619u;
        }

        hash ^= hash >> 16;
        hash *= 0x85ebca6bu;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35u;
        hash ^= hash >> 16;
        return hash;
    }
}
