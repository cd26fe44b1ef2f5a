using System.Buffers.Binary;

namespace DataflowNet.Io.Checkpoints;

/// <summary>
/// The LevelDB table (SSTable) format, as TensorFlow uses it for a checkpoint's <c>.index</c> file: sorted key/value
/// entries in data blocks, an index block with one entry per data block, an empty metaindex block, and a 48-byte
/// footer. A block holds entries with shared-prefix key compression (every <c>restartInterval</c>-th entry stores
/// its whole key: a restart point), then the restart offsets (uint32 each) and their count (uint32). Each block is
/// followed by a 5-byte trailer: the compression type (0 = none) and the masked CRC-32C of block + type byte.
/// </summary>
internal static class LevelDbTable
{
    public const ulong Magic = 0xdb4775248b80fb57UL;
    public const int FooterSize = 48;
    public const int BlockTrailerSize = 5;
    /// <summary>TensorFlow's table options: 256 KiB blocks, a restart point every 16 keys.</summary>
    public const int DefaultBlockSize = 256 * 1024;
    public const int DefaultRestartInterval = 16;

    // ---------- writing ----------

    /// <summary>
    /// The table holding <paramref name="entries"/>, whose keys must be strictly increasing in bytewise order (the
    /// order LevelDB's default comparator and TensorFlow's bundle reader expect).
    /// </summary>
    public static byte[] Build(IEnumerable<(byte[] Key, byte[] Value)> entries, int blockSize = DefaultBlockSize, int restartInterval = DefaultRestartInterval)
    {
        var output = new MemoryStream();
        var data = new BlockBuilder(restartInterval);
        var index = new BlockBuilder(1);
        byte[]? lastKey = null;
        (long Offset, long Size)? pendingHandle = null;

        foreach (var (key, value) in entries)
        {
            if (lastKey is not null && key.AsSpan().SequenceCompareTo(lastKey) <= 0)
                throw new ArgumentException($"Table keys must be strictly increasing: \"{Show(key)}\" follows \"{Show(lastKey)}\".");
            if (pendingHandle is { } h)
            {
                // The index key of the finished block: a short key >= its last key and < the next block's first.
                index.Add(ShortestSeparator(lastKey!, key), EncodeHandle(h));
                pendingHandle = null;
            }
            data.Add(key, value);
            lastKey = key;
            if (data.SizeEstimate >= blockSize)
            {
                pendingHandle = WriteBlock(output, data.Finish());
                data.Reset();
            }
        }
        if (!data.IsEmpty) pendingHandle = WriteBlock(output, data.Finish());
        var metaindex = WriteBlock(output, new BlockBuilder(restartInterval).Finish());
        if (pendingHandle is { } last) index.Add(ShortSuccessor(lastKey!), EncodeHandle(last));
        var indexHandle = WriteBlock(output, index.Finish());

        var footer = new byte[FooterSize];
        int pos = 0;
        PutVarint(footer, ref pos, (ulong)metaindex.Offset);
        PutVarint(footer, ref pos, (ulong)metaindex.Size);
        PutVarint(footer, ref pos, (ulong)indexHandle.Offset);
        PutVarint(footer, ref pos, (ulong)indexHandle.Size);
        BinaryPrimitives.WriteUInt64LittleEndian(footer.AsSpan(FooterSize - 8), Magic);
        output.Write(footer);
        return output.ToArray();
    }

    private static (long Offset, long Size) WriteBlock(MemoryStream output, byte[] contents)
    {
        var offset = output.Position;
        output.Write(contents);
        Span<byte> trailer = stackalloc byte[BlockTrailerSize];
        trailer[0] = 0; // no compression
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[1..], Crc32C.Mask(Crc32C.Compute(contents, trailer[..1])));
        output.Write(trailer);
        return (offset, contents.Length);
    }

    private static byte[] EncodeHandle((long Offset, long Size) handle)
    {
        var buffer = new byte[20];
        int pos = 0;
        PutVarint(buffer, ref pos, (ulong)handle.Offset);
        PutVarint(buffer, ref pos, (ulong)handle.Size);
        return buffer[..pos];
    }

    /// <summary>LevelDB's FindShortestSeparator: <paramref name="start"/> cut after its first differing byte, incremented, when that stays below <paramref name="limit"/>.</summary>
    internal static byte[] ShortestSeparator(byte[] start, byte[] limit)
    {
        int common = 0, min = Math.Min(start.Length, limit.Length);
        while (common < min && start[common] == limit[common]) common++;
        if (common < min && start[common] < 0xff && start[common] + 1 < limit[common])
        {
            var separator = start[..(common + 1)];
            separator[common]++;
            return separator;
        }
        return start;
    }

    /// <summary>LevelDB's FindShortSuccessor: the key cut after its first byte that is not 0xff, incremented.</summary>
    internal static byte[] ShortSuccessor(byte[] key)
    {
        for (int i = 0; i < key.Length; i++)
        {
            if (key[i] == 0xff) continue;
            var successor = key[..(i + 1)];
            successor[i]++;
            return successor;
        }
        return key;
    }

    private sealed class BlockBuilder(int restartInterval)
    {
        private readonly MemoryStream _buffer = new();
        private readonly List<uint> _restarts = [0];
        private byte[] _lastKey = [];
        private int _counter;

        public bool IsEmpty => _buffer.Length == 0;
        public long SizeEstimate => _buffer.Length + 4L * _restarts.Count + 4;

        public void Add(byte[] key, byte[] value)
        {
            int shared = 0;
            if (_counter < restartInterval)
            {
                int min = Math.Min(_lastKey.Length, key.Length);
                while (shared < min && _lastKey[shared] == key[shared]) shared++;
            }
            else
            {
                _restarts.Add((uint)_buffer.Length);
                _counter = 0;
            }
            Span<byte> header = stackalloc byte[15];
            int pos = 0;
            PutVarint(header, ref pos, (ulong)shared);
            PutVarint(header, ref pos, (ulong)(key.Length - shared));
            PutVarint(header, ref pos, (ulong)value.Length);
            _buffer.Write(header[..pos]);
            _buffer.Write(key.AsSpan(shared));
            _buffer.Write(value);
            _lastKey = key;
            _counter++;
        }

        public byte[] Finish()
        {
            Span<byte> word = stackalloc byte[4];
            foreach (var r in _restarts)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(word, r);
                _buffer.Write(word);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)_restarts.Count);
            _buffer.Write(word);
            return _buffer.ToArray();
        }

        public void Reset()
        {
            _buffer.SetLength(0);
            _restarts.Clear();
            _restarts.Add(0);
            _lastKey = [];
            _counter = 0;
        }
    }

    internal static void PutVarint(Span<byte> buffer, ref int pos, ulong value)
    {
        while (value >= 0x80)
        {
            buffer[pos++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[pos++] = (byte)value;
    }

    // ---------- reading ----------

    /// <summary>
    /// Every entry of the table in <paramref name="file"/>, in key order. Each block's checksum is verified; a
    /// damaged or truncated table is a <see cref="DataLossException"/> naming <paramref name="fileName"/>.
    /// </summary>
    public static List<(byte[] Key, byte[] Value)> ReadAll(byte[] file, string fileName)
    {
        if (file.Length < FooterSize)
            throw new DataLossException($"{fileName} is truncated or not a table: {file.Length} bytes, shorter than the {FooterSize}-byte footer.");
        var footer = file.AsSpan(file.Length - FooterSize);
        if (BinaryPrimitives.ReadUInt64LittleEndian(footer[(FooterSize - 8)..]) != Magic)
            throw new DataLossException($"{fileName} is truncated or not a table: bad magic number at the end of the file ({file.Length} bytes).");
        int pos = 0;
        var footerBody = footer[..(FooterSize - 8)];
        var metaindexHandle = ReadHandle(footerBody, ref pos, fileName, "metaindex handle");
        var indexHandle = ReadHandle(footerBody, ref pos, fileName, "index handle");
        _ = ReadBlock(file, metaindexHandle, fileName, "metaindex block"); // unused (no filters), but checked like every block

        var entries = new List<(byte[] Key, byte[] Value)>();
        foreach (var (_, handleBytes) in ReadBlock(file, indexHandle, fileName, "index block"))
        {
            int p = 0;
            var handle = ReadHandle(handleBytes, ref p, fileName, "data block handle");
            entries.AddRange(ReadBlock(file, handle, fileName, $"data block at offset {handle.Offset}"));
        }
        for (int i = 1; i < entries.Count; i++)
            if (entries[i].Key.AsSpan().SequenceCompareTo(entries[i - 1].Key) <= 0)
                throw new DataLossException($"{fileName} is corrupted: its keys are out of order at \"{Show(entries[i].Key)}\".");
        return entries;
    }

    private static (long Offset, long Size) ReadHandle(ReadOnlySpan<byte> buffer, ref int pos, string fileName, string what)
    {
        var offset = ReadVarint(buffer, ref pos, 64, fileName, what);
        var size = ReadVarint(buffer, ref pos, 64, fileName, what);
        // Both within the file's int range, so offset + size + trailer cannot overflow when checked against it.
        if (offset > int.MaxValue || size > int.MaxValue)
            throw new DataLossException($"{fileName} is corrupted: {what} points at offset {offset}, size {size}.");
        return ((long)offset, (long)size);
    }

    /// <summary>The entries of one block, after checking its trailer.</summary>
    private static List<(byte[] Key, byte[] Value)> ReadBlock(byte[] file, (long Offset, long Size) handle, string fileName, string what)
    {
        var end = handle.Offset + handle.Size + BlockTrailerSize;
        if (end > file.Length - FooterSize)
            throw new DataLossException($"{fileName} is truncated: its {what} (offset {handle.Offset}, {handle.Size} bytes + trailer) extends past the end of the table data ({file.Length - FooterSize} bytes).");
        var block = file.AsSpan((int)handle.Offset, (int)handle.Size);
        var trailer = file.AsSpan((int)(handle.Offset + handle.Size), BlockTrailerSize);
        var stored = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(trailer[1..]));
        var actual = Crc32C.Compute(block, trailer[..1]);
        if (stored != actual)
            throw new DataLossException($"{fileName} is corrupted: checksum mismatch in its {what} (stored {stored:x8}, computed {actual:x8}).");
        if (trailer[0] != 0)
            throw trailer[0] == 1
                ? new UnimplementedException($"{fileName}: its {what} is Snappy-compressed; DataflowNet reads uncompressed tables only (TensorFlow's checkpoints are uncompressed).")
                : new DataLossException($"{fileName} is corrupted: its {what} has unknown compression type {trailer[0]}.");
        return ParseBlock(block, fileName, what);
    }

    private static List<(byte[] Key, byte[] Value)> ParseBlock(ReadOnlySpan<byte> block, string fileName, string what)
    {
        if (block.Length < 4) throw new DataLossException($"{fileName} is corrupted: its {what} is {block.Length} bytes, too short for a block.");
        var restarts = BinaryPrimitives.ReadUInt32LittleEndian(block[^4..]);
        var limit = block.Length - 4 - 4L * restarts;
        if (restarts == 0 || limit < 0)
            throw new DataLossException($"{fileName} is corrupted: its {what} claims {restarts} restart points in {block.Length} bytes.");
        var entries = new List<(byte[] Key, byte[] Value)>();
        byte[] lastKey = [];
        int pos = 0;
        while (pos < limit)
        {
            var shared = ReadVarint(block, ref pos, 32, fileName, what);
            var nonShared = ReadVarint(block, ref pos, 32, fileName, what);
            var valueLength = ReadVarint(block, ref pos, 32, fileName, what);
            if (shared > (ulong)lastKey.Length || (ulong)pos + nonShared + valueLength > (ulong)limit)
                throw new DataLossException($"{fileName} is corrupted: a bad entry at byte {pos} of its {what}.");
            var key = new byte[(int)shared + (int)nonShared];
            lastKey.AsSpan(0, (int)shared).CopyTo(key);
            block.Slice(pos, (int)nonShared).CopyTo(key.AsSpan((int)shared));
            pos += (int)nonShared;
            var value = block.Slice(pos, (int)valueLength).ToArray();
            pos += (int)valueLength;
            entries.Add((key, value));
            lastKey = key;
        }
        return entries;
    }

    internal static ulong ReadVarint(ReadOnlySpan<byte> buffer, ref int pos, int bits, string fileName, string what)
    {
        ulong result = 0;
        for (int shift = 0; shift < bits; shift += 7)
        {
            if (pos >= buffer.Length) throw new DataLossException($"{fileName} is corrupted: a varint runs past the end of its {what}.");
            var b = buffer[pos++];
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return result;
        }
        throw new DataLossException($"{fileName} is corrupted: a varint longer than {bits} bits in its {what}.");
    }

    private static string Show(byte[] key) => System.Text.Encoding.UTF8.GetString(key);
}
