using System.Buffers.Binary;

namespace DataflowNet.Io.Summaries;

/// <summary>
/// Writes TFRecord framing, the container of TensorFlow's event files: for each record, its length as a uint64
/// (little-endian), the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data (both CRCs
/// uint32, little-endian; see <see cref="Crc32C"/>).
/// </summary>
internal sealed class TFRecordWriter(Stream stream) : IDisposable
{
    private readonly byte[] _header = new byte[12];
    private readonly byte[] _footer = new byte[4];

    public void Write(ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(8), Crc32C.Masked(_header.AsSpan(0, 8)));
        BinaryPrimitives.WriteUInt32LittleEndian(_footer, Crc32C.Masked(data));
        stream.Write(_header);
        stream.Write(data);
        stream.Write(_footer);
    }

    /// <summary>Hands what is buffered to the operating system.</summary>
    public void Flush() => stream.Flush();

    public void Dispose() => stream.Dispose();
}
