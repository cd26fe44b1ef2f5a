using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using DataflowNet.Io.Proto;
using Google.Protobuf;

namespace DataflowNet.Io.Checkpoints;

/// <summary>
/// TensorFlow's V2 checkpoint format, the tensor bundle: <c>prefix.index</c> is a LevelDB table mapping "" to a
/// <see cref="BundleHeaderProto"/> and each tensor name to a <see cref="BundleEntryProto"/> (dtype, shape, shard,
/// offset, size, masked CRC-32C); <c>prefix.data-00000-of-00001</c> holds the tensors' bytes, little-endian, one
/// after another. A string tensor is stored as TensorFlow stores it: each element's length as a varint, a 4-byte
/// masked CRC-32C of the lengths (taken as uint32), then the bytes of each element.
/// </summary>
public static class TensorBundle
{
    /// <summary>The format version TensorFlow writes (kTensorBundleVersion) and the oldest reader it allows.</summary>
    internal const int Version = 1;
    internal const int MinConsumer = 0;

    public static string IndexFileName(string prefix) => prefix + ".index";

    /// <summary>A shard's data file: <c>prefix.data-00000-of-00001</c>.</summary>
    public static string DataFileName(string prefix, int shard, int numShards) => $"{prefix}.data-{shard:D5}-of-{numShards:D5}";

    /// <summary>Whether a V2 checkpoint exists at <paramref name="prefix"/> (its index file does).</summary>
    public static bool Exists(string prefix) => File.Exists(IndexFileName(prefix));

    /// <summary>Deletes the checkpoint's index and data files (those present).</summary>
    internal static void Delete(string prefix)
    {
        File.Delete(IndexFileName(prefix));
        var dir = Path.GetDirectoryName(Path.GetFullPath(prefix))!;
        if (!Directory.Exists(dir)) return;
        var name = Path.GetFileName(prefix);
        foreach (var f in Directory.EnumerateFiles(dir, name + ".data-*-of-*"))
            if (System.Text.RegularExpressions.Regex.IsMatch(Path.GetFileName(f).AsSpan(name.Length), @"^\.data-\d{5}-of-\d{5}$")) File.Delete(f);
    }

    /// <summary>
    /// The bytes TensorFlow stores for <paramref name="value"/> in a data file: a view of a numeric value's own
    /// buffer (no copy), or the encoded strings.
    /// </summary>
    internal static ReadOnlySpan<byte> Encode(TensorValue value)
    {
        if (!BitConverter.IsLittleEndian) throw new UnimplementedException("Checkpoints are written little-endian; this machine is big-endian.");
        return value.Data switch
        {
            float[] a => MemoryMarshal.AsBytes(a.AsSpan()),
            double[] a => MemoryMarshal.AsBytes(a.AsSpan()),
            int[] a => MemoryMarshal.AsBytes(a.AsSpan()),
            long[] a => MemoryMarshal.AsBytes(a.AsSpan()),
            byte[] a => a,
            bool[] a => MemoryMarshal.AsBytes(a.AsSpan()), // .NET stores a bool as one byte, 0 or 1, as TensorFlow does
            string[] a => EncodeStrings(a),
            _ => throw new UnimplementedException($"Cannot write a {value.dtype.Name()} tensor to a checkpoint."),
        };
    }

    private static byte[] EncodeStrings(string[] strings)
    {
        var elements = strings.Select(s => Encoding.UTF8.GetBytes(s ?? "")).ToArray();
        var output = new MemoryStream();
        Span<byte> varint = stackalloc byte[10];
        foreach (var e in elements)
        {
            int pos = 0;
            LevelDbTable.PutVarint(varint, ref pos, (ulong)e.Length);
            output.Write(varint[..pos]);
        }
        Span<byte> checksum = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(checksum, Crc32C.Mask(LengthsCrc(elements.Select(e => (ulong)e.Length))));
        output.Write(checksum);
        foreach (var e in elements) output.Write(e);
        return output.ToArray();
    }

    /// <summary>TensorFlow's checksum of string lengths: the CRC-32C of each length as a little-endian uint32 (uint64 past 4 GiB).</summary>
    private static uint LengthsCrc(IEnumerable<ulong> lengths)
    {
        var raw = new MemoryStream();
        Span<byte> word = stackalloc byte[8];
        foreach (var n in lengths)
        {
            if (n <= uint.MaxValue) { BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)n); raw.Write(word[..4]); }
            else { BinaryPrimitives.WriteUInt64LittleEndian(word, n); raw.Write(word); }
        }
        return Crc32C.Compute(raw.GetBuffer().AsSpan(0, (int)raw.Length));
    }

    /// <summary>
    /// The masked CRC-32C TensorFlow records for a tensor's stored bytes. For numbers it is the CRC of the bytes; for
    /// strings TensorFlow checksums the lengths as uint32 (not as the varints written), so it is recomputed from them.
    /// </summary>
    internal static uint EntryCrc(DataflowNet.DataType dtype, ReadOnlySpan<byte> stored, int count, Func<string, Exception> error)
    {
        if (dtype != DataflowNet.DataType.String) return Crc32C.Mask(Crc32C.Compute(stored));
        var lengths = new ulong[count];
        int pos = 0;
        for (int i = 0; i < count; i++) lengths[i] = ReadVarint(stored, ref pos, error);
        if (pos + 4 > stored.Length) throw error("its string lengths run past its bytes");
        var lengthsCrc = LengthsCrc(lengths);
        var storedLengthsCrc = BinaryPrimitives.ReadUInt32LittleEndian(stored.Slice(pos, 4));
        if (Crc32C.Unmask(storedLengthsCrc) != lengthsCrc) throw error($"checksum of its string lengths does not match (stored {Crc32C.Unmask(storedLengthsCrc):x8}, computed {lengthsCrc:x8})");
        var raw = new MemoryStream();
        Span<byte> word = stackalloc byte[8];
        foreach (var n in lengths)
        {
            if (n <= uint.MaxValue) { BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)n); raw.Write(word[..4]); }
            else { BinaryPrimitives.WriteUInt64LittleEndian(word, n); raw.Write(word); }
        }
        raw.Write(stored[pos..]);
        return Crc32C.Mask(Crc32C.Compute(raw.GetBuffer().AsSpan(0, (int)raw.Length)));
    }

    /// <summary>The value stored in <paramref name="bytes"/> (checksum already verified).</summary>
    internal static TensorValue Decode(DataflowNet.DataType dtype, int[] dims, ReadOnlySpan<byte> bytes, Func<string, Exception> error)
    {
        var count = ShapeUtil.Count(dims);
        if (dtype == DataflowNet.DataType.String)
        {
            var lengths = new ulong[count];
            int pos = 0;
            for (int i = 0; i < count; i++) lengths[i] = ReadVarint(bytes, ref pos, error);
            pos += 4;
            var strings = new string[count];
            for (int i = 0; i < count; i++)
            {
                if ((ulong)pos + lengths[i] > (ulong)bytes.Length) throw error($"string element {i} runs past its bytes");
                strings[i] = Encoding.UTF8.GetString(bytes.Slice(pos, (int)lengths[i]));
                pos += (int)lengths[i];
            }
            if (pos != bytes.Length) throw error($"{bytes.Length - pos} bytes follow its last string");
            return TensorValue.Create(strings, dims);
        }
        var elementSize = dtype.Size();
        if ((long)count * elementSize != bytes.Length)
            throw error($"{bytes.Length} bytes stored for shape {TensorShape.Format(dims)} of {dtype.Name()}, which needs {(long)count * elementSize}");
        return dtype switch
        {
            DataflowNet.DataType.Float32 => TensorValue.Create(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), dims),
            DataflowNet.DataType.Float64 => TensorValue.Create(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), dims),
            DataflowNet.DataType.Int32 => TensorValue.Create(MemoryMarshal.Cast<byte, int>(bytes).ToArray(), dims),
            DataflowNet.DataType.Int64 => TensorValue.Create(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), dims),
            DataflowNet.DataType.UInt8 => TensorValue.Create(bytes.ToArray(), dims),
            DataflowNet.DataType.Bool => TensorValue.Create(bytes.ToArray().Select(b => b != 0).ToArray(), dims),
            _ => throw new UnimplementedException($"Cannot read a {dtype.Name()} tensor from a checkpoint."),
        };
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> buffer, ref int pos, Func<string, Exception> error)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= buffer.Length) throw error("a string length runs past its bytes");
            var b = buffer[pos++];
            result |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return result;
        }
        throw error("a string length is longer than 64 bits");
    }
}

/// <summary>
/// Writes one checkpoint (a single shard). Tensors go to a temporary data file as they are added; <see cref="Finish"/>
/// flushes it to disk, writes the index to a temporary file and flushes it, then renames the data file and the index
/// (last) into place, so a checkpoint whose index exists is complete. A writer disposed before Finish deletes its
/// temporary files.
/// </summary>
public sealed class BundleWriter : IDisposable
{
    private readonly string _prefix;
    private readonly string _dataPath, _tmpDataPath, _indexPath, _tmpIndexPath;
    private FileStream? _data;
    private readonly SortedDictionary<byte[], BundleEntryProto> _entries = new(ByteOrder.Instance);
    private bool _finished;

    public BundleWriter(string prefix)
    {
        _prefix = prefix;
        _dataPath = TensorBundle.DataFileName(prefix, 0, 1);
        _indexPath = TensorBundle.IndexFileName(prefix);
        var suffix = ".tempstate" + Random.Shared.NextInt64().ToString("x16");
        _tmpDataPath = _dataPath + suffix;
        _tmpIndexPath = _indexPath + suffix;
        _data = Create(_tmpDataPath);
    }

    private FileStream Create(string path)
    {
        try { return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16); }
        catch (DirectoryNotFoundException)
        {
            throw new NotFoundException($"Cannot write checkpoint {_prefix}: the directory {Path.GetDirectoryName(Path.GetFullPath(path))} does not exist.");
        }
    }

    /// <summary>Appends a tensor under <paramref name="key"/> (each key once; "" is the header's).</summary>
    public void Add(string key, TensorValue value)
    {
        ObjectDisposedException.ThrowIf(_data is null, this);
        if (key.Length == 0) throw new InvalidArgumentException("A checkpoint tensor needs a non-empty name (the empty key holds the bundle header).");
        var keyBytes = Encoding.UTF8.GetBytes(key);
        if (_entries.ContainsKey(keyBytes)) throw new InvalidArgumentException($"Adding duplicate key to checkpoint {_prefix}: {key}");
        var bytes = TensorBundle.Encode(value);
        var entry = new BundleEntryProto
        {
            Dtype = TensorProtos.ToProto(value.dtype),
            Shape = TensorProtos.ToProto(new TensorShape(value.Dims)),
            ShardId = 0,
            Offset = _data.Position,
            Size = bytes.Length,
            Crc32C = TensorBundle.EntryCrc(value.dtype, bytes, value.size, m => new InvalidOperationException(m)),
        };
        _data.Write(bytes);
        _entries.Add(keyBytes, entry);
    }

    /// <summary>Writes the index and moves both files into place, durably: data first, index last.</summary>
    public void Finish()
    {
        ObjectDisposedException.ThrowIf(_data is null, this);
        _data.Flush(flushToDisk: true);
        _data.Dispose();
        _data = null;

        var header = new BundleHeaderProto
        {
            NumShards = 1,
            Endianness = BundleHeaderProto.Types.Endianness.Little,
            Version = new VersionDef { Producer = TensorBundle.Version, MinConsumer = TensorBundle.MinConsumer },
        };
        var table = LevelDbTable.Build(
            new[] { (Array.Empty<byte>(), header.ToByteArray()) }.Concat(_entries.Select(e => (e.Key, e.Value.ToByteArray()))));
        using (var index = Create(_tmpIndexPath))
        {
            index.Write(table);
            index.Flush(flushToDisk: true);
        }
        File.Move(_tmpDataPath, _dataPath, overwrite: true);
        File.Move(_tmpIndexPath, _indexPath, overwrite: true);
        _finished = true;
    }

    public void Dispose()
    {
        _data?.Dispose();
        _data = null;
        if (_finished) return;
        TryDelete(_tmpDataPath);
        TryDelete(_tmpIndexPath);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// Reads a V2 checkpoint. Opening it reads the index and checks every block's checksum; <see cref="Read"/> checks
/// the tensor's own checksum, so a corrupted file is a <see cref="DataLossException"/> naming the file and the
/// tensor, never wrong values.
/// </summary>
public sealed class BundleReader
{
    private readonly Dictionary<string, BundleEntryProto> _entries = new(StringComparer.Ordinal);
    private readonly int _numShards;

    public BundleReader(string prefix)
    {
        Prefix = prefix;
        var indexPath = TensorBundle.IndexFileName(prefix);
        byte[] file;
        try { file = File.ReadAllBytes(indexPath); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"Failed to find any matching files for {prefix}: {indexPath} does not exist. " +
                                        "A checkpoint is named by its prefix (e.g. 'model-50', as tf.train.latest_checkpoint returns).");
        }
        var keys = new List<string>();
        BundleHeaderProto? header = null;
        foreach (var (keyBytes, value) in LevelDbTable.ReadAll(file, indexPath))
        {
            // A slice of a partitioned variable has a binary OrderedCode key (a 0 byte, the name, then one byte per
            // bound): kept byte for byte (Latin-1), and left out of the variables listed, as TensorFlow's reader does.
            bool slice = keyBytes.Length > 0 && keyBytes[0] == 0;
            var key = slice ? Encoding.Latin1.GetString(keyBytes) : Encoding.UTF8.GetString(keyBytes);
            try
            {
                if (key.Length == 0) header = BundleHeaderProto.Parser.ParseFrom(value);
                else
                {
                    _entries[key] = BundleEntryProto.Parser.ParseFrom(value);
                    if (!slice) keys.Add(key);
                }
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new DataLossException($"{indexPath} is corrupted: the entry for '{key}' does not parse ({e.Message}).");
            }
        }
        if (header is null) throw new DataLossException($"{indexPath} is corrupted: it has no bundle header (the \"\" entry).");
        if (header.Endianness != BundleHeaderProto.Types.Endianness.Little)
            throw new UnimplementedException($"{indexPath} was written big-endian; DataflowNet reads little-endian checkpoints.");
        if (header.Version is { } v && (v.MinConsumer > TensorBundle.Version || v.BadConsumers.Contains(TensorBundle.Version)))
            throw new UnimplementedException($"{indexPath} needs a reader of bundle version {v.MinConsumer} or later (written by producer version {v.Producer}); DataflowNet reads version {TensorBundle.Version}.");
        if (header.NumShards < 1) throw new DataLossException($"{indexPath} is corrupted: its header says {header.NumShards} shards.");
        _numShards = header.NumShards;
        Keys = keys;
    }

    public string Prefix { get; }

    /// <summary>The tensor names, in the table's (bytewise) order.</summary>
    public IReadOnlyList<string> Keys { get; }

    public bool Contains(string key) => _entries.ContainsKey(key);

    internal BundleEntryProto Entry(string key) =>
        _entries.TryGetValue(key, out var e) ? e : throw new NotFoundException($"Key {key} not found in checkpoint {Prefix}.");

    /// <summary>The stored shape of <paramref name="key"/>.</summary>
    public int[] Shape(string key) => TensorProtos.FromProto(Entry(key).Shape ?? new TensorShapeProto()).Dims;

    /// <summary>The stored dtype of <paramref name="key"/> (an <see cref="UnimplementedException"/> for one DataflowNet lacks).</summary>
    public DataflowNet.DataType DType(string key) => TensorProtos.FromProto(Entry(key).Dtype, $"Tensor '{key}' in checkpoint {Prefix}");

    /// <summary>The stored dtype's TensorFlow name, whether or not DataflowNet supports it.</summary>
    internal string DTypeName(string key) => Entry(key).Dtype.ToString();

    /// <summary>Reads and checks one tensor.</summary>
    public TensorValue Read(string key)
    {
        var entry = Entry(key);
        var dtype = DType(key);
        if (entry.Slices.Count > 0)
            throw new UnimplementedException($"Tensor '{key}' in checkpoint {Prefix} is stored as slices (a partitioned variable); DataflowNet reads whole tensors only.");
        if (entry.ShardId < 0 || entry.ShardId >= _numShards)
            throw new DataLossException($"{TensorBundle.IndexFileName(Prefix)} is corrupted: tensor '{key}' is in shard {entry.ShardId} of {_numShards}.");
        var dims = Shape(key);
        if (Array.Exists(dims, d => d < 0))
            throw new DataLossException($"{TensorBundle.IndexFileName(Prefix)} is corrupted: tensor '{key}' has shape {TensorShape.Format(dims)}.");
        var dataPath = TensorBundle.DataFileName(Prefix, entry.ShardId, _numShards);
        if (entry.Size < 0 || entry.Size > Array.MaxLength || entry.Offset < 0)
            throw new DataLossException($"{TensorBundle.IndexFileName(Prefix)} is corrupted: tensor '{key}' claims {entry.Size} bytes at offset {entry.Offset}.");
        var bytes = new byte[entry.Size];
        try
        {
            using var handle = File.OpenHandle(dataPath);
            var length = RandomAccess.GetLength(handle);
            if (entry.Offset + entry.Size > length)
                throw new DataLossException($"{dataPath} is truncated: tensor '{key}' needs bytes {entry.Offset} to {entry.Offset + entry.Size}, the file has {length}.");
            int read = 0;
            while (read < bytes.Length)
            {
                var n = RandomAccess.Read(handle, bytes.AsSpan(read), entry.Offset + read);
                if (n == 0) throw new DataLossException($"{dataPath} is truncated: tensor '{key}' ends past the end of the file.");
                read += n;
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"Checkpoint {Prefix} is incomplete: its data file {dataPath} does not exist (needed for tensor '{key}').");
        }
        Exception Corrupt(string what) => new DataLossException($"Tensor '{key}' in {dataPath} is corrupted: {what}.");
        var actual = TensorBundle.EntryCrc(dtype, bytes, ShapeUtil.Count(dims), Corrupt);
        if (actual != entry.Crc32C)
            throw new DataLossException($"Checksum does not match for tensor '{key}' in {dataPath}: stored {Crc32C.Unmask(entry.Crc32C):x8}, " +
                                        $"computed {Crc32C.Unmask(actual):x8}. The checkpoint is corrupted.");
        return TensorBundle.Decode(dtype, dims, bytes, Corrupt);
    }
}

/// <summary>LevelDB's default comparator: bytewise.</summary>
internal sealed class ByteOrder : IComparer<byte[]>
{
    public static readonly ByteOrder Instance = new();
    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
