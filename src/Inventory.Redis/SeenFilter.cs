using System.Text;
using StackExchange.Redis;

namespace Inventory.Redis;

/// <summary>
/// The bit offsets of an order id in its home partition's Bloom filter (Kirsch–Mitzenmacher double hashing over two
/// stable 64-bit hashes). Computed here so the scripts only GETBIT and SETBIT.
/// </summary>
internal sealed class SeenFilter(long bits)
{
    public const int Hashes = 7;

    public RedisValue[] Offsets(string orderId)
    {
        var offsets = new RedisValue[Hashes];
        Fill(orderId, offsets, 0);
        return offsets;
    }

    /// <summary>Writes the offsets into args from index at, so script arguments need no second array.</summary>
    public void Fill(string orderId, RedisValue[] args, int at)
    {
        Span<long> offsets = stackalloc long[Hashes];
        Fill(orderId, offsets);
        for (var i = 0; i < Hashes; i++)
        {
            args[at + i] = offsets[i];
        }
    }

    /// <summary>The offsets into a span of <see cref="Hashes"/>: no allocation (a rebuild computes them for every id in the ledger).</summary>
    public void Fill(string orderId, Span<long> offsets)
    {
        // Ids are at most 64 characters (of ASCII once validated); the stack holds them without an allocation.
        var max = Encoding.UTF8.GetMaxByteCount(orderId.Length);
        Span<byte> bytes = max <= 256 ? stackalloc byte[max] : new byte[max];
        bytes = bytes[..Encoding.UTF8.GetBytes(orderId, bytes)];
        var h1 = Hash(bytes, 0xcbf29ce484222325UL);
        var h2 = Hash(bytes, 0x84222325cbf29ce4UL) | 1;
        var m = (ulong)bits;
        for (var i = 0; i < Hashes; i++)
        {
            offsets[i] = (long)((h1 + ((ulong)i * h2)) % m);
        }
    }

    private static ulong Hash(ReadOnlySpan<byte> bytes, ulong seed)
    {
        var h = seed;
        foreach (var b in bytes)
        {
            h = (h ^ b) * 0x100000001b3UL;
        }

        // MurmurHash3's finaliser spreads FNV's weak low bits.
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53UL;
        h ^= h >> 33;
        return h;
    }
}
