using System.Buffers.Binary;
using System.Numerics;

namespace DataflowNet.Io;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of TFRecord files (TensorBoard events) and of checkpoint bundles, plus
/// TensorFlow's "masked" form. BitOperations.Crc32C is the hardware instruction (SSE4.2 / ARMv8 CRC) with a
/// software fallback, so no package is needed for it.
/// </summary>
public static class Crc32C
{
    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(~0u, data);

    /// <summary>Extends a running (pre-inverted) CRC; <see cref="Compute"/> does the inversions.</summary>
    private static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return crc;
    }

    /// <summary>The CRC of the concatenation of two spans, without copying them together.</summary>
    public static uint Compute(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second) => ~Append(Append(~0u, first), second);

    private const uint MaskDelta = 0xa282ead8;

    /// <summary>TensorFlow's masked CRC: rotated and offset, so a CRC stored inside CRC'd data stays well distributed.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    public static uint Unmask(uint masked)
    {
        var rot = masked - MaskDelta;
        return (rot >> 17) | (rot << 15);
    }

    public static uint Masked(ReadOnlySpan<byte> data) => Mask(Compute(data));
}
