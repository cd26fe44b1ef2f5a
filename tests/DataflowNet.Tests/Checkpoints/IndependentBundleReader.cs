using System.Text;

namespace DataflowNet.Tests.Checkpoints;

/// <summary>
/// A minimal reader of TensorFlow's V2 checkpoint files written from the format's description, sharing no code with
/// the library (its own CRC-32C, varints, block and protobuf parsing), so the writer is checked against something
/// other than the library's own reader.
/// </summary>
internal static class IndependentBundleReader
{
    public sealed record Entry(int DType, long[] Shape, long Offset, long Size, uint MaskedCrc);

    /// <summary>Every key/value of a LevelDB table, checking each block's trailer.</summary>
    public static List<(string Key, byte[] Value)> ReadTable(byte[] file)
    {
        var footer = file[^48..];
        ulong magic = 0;
        for (int i = 7; i >= 0; i--) magic = (magic << 8) | footer[40 + i];
        if (magic != 0xdb4775248b80fb57UL) throw new InvalidDataException("bad magic");
        int p = 0;
        Varint(footer, ref p); Varint(footer, ref p); // metaindex handle
        var indexOffset = (int)Varint(footer, ref p);
        var indexSize = (int)Varint(footer, ref p);
        var result = new List<(string, byte[])>();
        foreach (var (_, handle) in Block(file, indexOffset, indexSize))
        {
            int q = 0;
            var offset = (int)Varint(handle, ref q);
            var size = (int)Varint(handle, ref q);
            result.AddRange(Block(file, offset, size));
        }
        return result;
    }

    private static List<(string, byte[])> Block(byte[] file, int offset, int size)
    {
        if (file[offset + size] != 0) throw new InvalidDataException("compressed block");
        var stored = BitConverter.ToUInt32(file, offset + size + 1);
        if (Unmask(stored) != Crc(file.AsSpan(offset, size + 1))) throw new InvalidDataException("block checksum");
        var block = file.AsSpan(offset, size);
        var numRestarts = BitConverter.ToInt32(block[^4..]);
        var end = size - 4 - 4 * numRestarts;
        var entries = new List<(string, byte[])>();
        var key = Array.Empty<byte>();
        int p = 0;
        var bytes = block.ToArray();
        while (p < end)
        {
            var shared = (int)Varint(bytes, ref p);
            var unshared = (int)Varint(bytes, ref p);
            var valueLength = (int)Varint(bytes, ref p);
            key = [.. key.Take(shared), .. bytes.Skip(p).Take(unshared)];
            p += unshared;
            entries.Add((Encoding.UTF8.GetString(key), bytes[p..(p + valueLength)]));
            p += valueLength;
        }
        return entries;
    }

    /// <summary>A BundleEntryProto's fields, parsed from the protobuf wire format by hand.</summary>
    public static Entry ParseEntry(byte[] value)
    {
        int dtype = 0; long offset = 0, size = 0; uint crc = 0;
        var shape = new List<long>();
        int p = 0;
        while (p < value.Length)
        {
            var tag = (int)Varint(value, ref p);
            switch (tag)
            {
                case 1 << 3: dtype = (int)Varint(value, ref p); break;
                case (2 << 3) | 2:
                    var n = (int)Varint(value, ref p);
                    var shapeBytes = value[p..(p + n)];
                    p += n;
                    int s = 0;
                    while (s < shapeBytes.Length)
                    {
                        var t = Varint(shapeBytes, ref s); // dim: field 2, length-delimited
                        var len = (int)Varint(shapeBytes, ref s);
                        var dim = shapeBytes[s..(s + len)];
                        s += len;
                        if (t != ((2 << 3) | 2)) continue;
                        int d = 0;
                        long dimSize = 0;
                        while (d < dim.Length) { var dt = Varint(dim, ref d); var v = (long)Varint(dim, ref d); if (dt == 1 << 3) dimSize = v; }
                        shape.Add(dimSize);
                    }
                    break;
                case 3 << 3: Varint(value, ref p); break;
                case 4 << 3: offset = (long)Varint(value, ref p); break;
                case 5 << 3: size = (long)Varint(value, ref p); break;
                case (6 << 3) | 5: crc = BitConverter.ToUInt32(value, p); p += 4; break;
                default: throw new InvalidDataException($"unexpected tag {tag}");
            }
        }
        return new Entry(dtype, shape.ToArray(), offset, size, crc);
    }

    public static ulong Varint(byte[] b, ref int p)
    {
        ulong r = 0;
        for (int shift = 0; ; shift += 7)
        {
            var x = b[p++];
            r |= (ulong)(x & 0x7f) << shift;
            if (x < 0x80) return r;
        }
    }

    public static uint Crc(ReadOnlySpan<byte> data) => BitwiseCrc32C.Compute(data);
    public static uint Unmask(uint masked) => BitwiseCrc32C.Unmask(masked);
}
