using System.Runtime.CompilerServices;

namespace DataflowNet;

/// <summary>
/// Philox4x32-10, the counter-based generator TensorFlow's random ops use: block i of a stream is a pure function
/// of (key, i), so draws are reproducible, need no shared mutable state, and a GPU kernel can produce the same numbers.
/// </summary>
internal sealed class PhiloxStream
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;
    private readonly uint _k0, _k1;
    private long _nextBlock;

    public PhiloxStream(long seed, long seed2)
    {
        _k0 = (uint)seed ^ (uint)(seed2 >> 32);
        _k1 = (uint)seed2 ^ (uint)(seed >> 32) * 0x9E3779B9u;
    }

    /// <summary>Reserves <paramref name="count"/> 32-bit words (rounded up to blocks of four) and fills them.</summary>
    public void Fill(Span<uint> dst)
    {
        long blocks = (dst.Length + 3) / 4;
        long first = Interlocked.Add(ref _nextBlock, blocks) - blocks;
        Span<uint> tmp = stackalloc uint[4];
        for (long b = 0; b < blocks; b++)
        {
            Block(first + b, tmp);
            int at = (int)(b * 4);
            for (int j = 0; j < 4 && at + j < dst.Length; j++) dst[at + j] = tmp[j];
        }
    }

    /// <summary>
    /// Reserves <paramref name="blocks"/> blocks of four words without computing them, exactly as <see cref="Fill"/>
    /// advances the stream, and returns the counter of the first: for a device kernel that computes block
    /// first + b itself from <see cref="Key"/>.
    /// </summary>
    internal long Reserve(long blocks) => Interlocked.Add(ref _nextBlock, blocks) - blocks;

    /// <summary>The stream's key, for a device kernel that computes its blocks with <see cref="Compute"/>.</summary>
    internal (uint K0, uint K1) Key => (_k0, _k1);

    public void Block(long counter, Span<uint> output)
    {
        var w = Compute(counter, _k0, _k1);
        output[0] = w.W0; output[1] = w.W1; output[2] = w.W2; output[3] = w.W3;
    }

    /// <summary>Block <paramref name="counter"/> under key (k0, k1): ten rounds, no state; GPU kernels call it too.</summary>
    internal static Words4 Compute(long counter, uint k0, uint k1)
    {
        uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = 0, c3 = 0;
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n1 = (uint)p1;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            uint n3 = (uint)p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += W0; k1 += W1;
        }
        return new Words4 { W0 = c0, W1 = c1, W2 = c2, W3 = c3 };
    }

    /// <summary>One Philox block: four 32-bit words (a struct, so device code can hold it in registers).</summary>
    internal struct Words4
    {
        public uint W0, W1, W2, W3;
        public readonly uint Get(int i) => i switch { 0 => W0, 1 => W1, 2 => W2, _ => W3 };
    }

    /// <summary>A uniform float in [0, 1) from 23 random mantissa bits, as TensorFlow converts them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(uint x) => (x >> 9) * (1.0f / (1 << 23));

    /// <summary>A uniform double in [0, 1) from 52 random bits of two words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ToDouble(uint hi, uint lo) => ((((ulong)hi << 32) | lo) >> 12) * (1.0 / (1L << 52));
}
