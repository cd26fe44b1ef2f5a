using System.Text;
using DataflowNet.Io.Checkpoints;
using NUnit.Framework;

namespace DataflowNet.Tests.Checkpoints;

/// <summary>The V2 checkpoint format: TensorFlow's own checkpoint as ground truth, corruption, and the writer checked by an independent reader.</summary>
public class TensorBundleTests : GraphTest
{
    private const string Matrix = "layer_with_weights-0/matrix/.ATTRIBUTES/VARIABLE_VALUE";

    /// <summary>The checkpoint written by TensorFlow (Fixtures/checkpoint, see NOTICE.md).</summary>
    private static string TfPrefix => Fixtures.Path(Path.Combine("checkpoint", "variables"));

    internal static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dfn-ckpt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A writable copy of TensorFlow's checkpoint.</summary>
    private static string CopyOfTfCheckpoint()
    {
        var prefix = Path.Combine(TempDir(), "variables");
        File.Copy(TfPrefix + ".index", prefix + ".index");
        File.Copy(TfPrefix + ".data-00000-of-00001", prefix + ".data-00000-of-00001");
        return prefix;
    }

    [Test]
    public void ListVariablesOfTensorFlowsCheckpointSortedByName()
    {
        var variables = tf.train.list_variables(TfPrefix);
        Assert.That(variables.Select(v => v.name), Is.EqualTo(new[]
        {
            "_CHECKPOINTABLE_OBJECT_GRAPH",
            "keras_api/metrics/0/count/.ATTRIBUTES/VARIABLE_VALUE",
            "keras_api/metrics/0/total/.ATTRIBUTES/VARIABLE_VALUE",
            "keras_api/metrics/1/count/.ATTRIBUTES/VARIABLE_VALUE",
            "keras_api/metrics/1/total/.ATTRIBUTES/VARIABLE_VALUE",
            Matrix,
            "optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE",
            "optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE",
        }));
        Assert.That(variables.Single(v => v.name == Matrix).shape, Is.EqualTo(new[] { 784, 10 }));
        Assert.That(variables.Where(v => v.name != Matrix).Select(v => v.shape), Is.All.Empty, "every other entry is a scalar");
    }

    [Test]
    public void LoadVariableReadsTensorFlowsValues()
    {
        var matrix = tf.train.load_variable(TfPrefix, Matrix);
        Assert.That(matrix.dtype, Is.EqualTo(DataType.Float32));
        Assert.That(matrix.shape, Is.EqualTo(new[] { 784, 10 }));
        var values = matrix.ToArray<float>();
        Assert.That(values.Sum(v => (double)v), Is.EqualTo(-0.873142).Within(1e-5));
        Assert.That(values[0], Is.EqualTo(0.01404247f).Within(1e-8));
        Assert.That(values[^1], Is.EqualTo(0.00868041f).Within(1e-8));

        var lr = tf.train.load_variable(TfPrefix, "optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE:0");
        Assert.That(lr.dtype, Is.EqualTo(DataType.Float32));
        Assert.That((float)lr, Is.EqualTo(0.001f));
        var iterations = tf.train.load_variable(TfPrefix, "optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE");
        Assert.That(iterations.dtype, Is.EqualTo(DataType.Int64));
        Assert.That((long)iterations, Is.EqualTo(0L));

        // The string entry: TensorFlow's varint lengths, length checksum and bytes, its checksum verified.
        var graph = tf.train.load_variable(TfPrefix, "_CHECKPOINTABLE_OBJECT_GRAPH");
        Assert.That(graph.dtype, Is.EqualTo(DataType.String));
        Assert.That(graph.shape, Is.Empty);

        var reader = tf.train.load_checkpoint(TfPrefix);
        Assert.That(reader.get_variable_to_dtype_map()["optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE"], Is.EqualTo(DataType.Int64));
        Assert.That(reader.has_tensor(Matrix), Is.True);
        Assert.That(reader.has_tensor("nope"), Is.False);
    }

    [Test]
    public void FlippedByteInTheDataFileIsDataLossNamingTheTensor()
    {
        var prefix = CopyOfTfCheckpoint();
        var dataPath = prefix + ".data-00000-of-00001";
        var bytes = File.ReadAllBytes(dataPath);
        bytes[1000] ^= 0x10; // inside the matrix (bytes 0 to 31360)
        File.WriteAllBytes(dataPath, bytes);

        var e = Assert.Throws<DataLossException>(() => tf.train.load_variable(prefix, Matrix));
        Assert.That(e!.Message, Does.Contain($"Checksum does not match for tensor '{Matrix}'"));
        Assert.That(e.Message, Does.Contain(dataPath));
        // The other tensors are intact and still read.
        Assert.That((float)tf.train.load_variable(prefix, "optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE"), Is.EqualTo(0.001f));
    }

    [Test]
    public void FlippedByteInAStringTensorIsDataLoss()
    {
        var prefix = CopyOfTfCheckpoint();
        var dataPath = prefix + ".data-00000-of-00001";
        var bytes = File.ReadAllBytes(dataPath);
        bytes[^10] ^= 0x01; // inside the object graph string, the last tensor of the file
        File.WriteAllBytes(dataPath, bytes);
        var e = Assert.Throws<DataLossException>(() => tf.train.load_variable(prefix, "_CHECKPOINTABLE_OBJECT_GRAPH"));
        Assert.That(e!.Message, Does.Contain("Checksum does not match for tensor '_CHECKPOINTABLE_OBJECT_GRAPH'"));
    }

    [Test]
    public void FlippedByteInTheIndexIsDataLossNamingTheFile()
    {
        var prefix = CopyOfTfCheckpoint();
        var bytes = File.ReadAllBytes(prefix + ".index");
        bytes[100] ^= 0x04; // inside the data block
        File.WriteAllBytes(prefix + ".index", bytes);
        var e = Assert.Throws<DataLossException>(() => tf.train.list_variables(prefix));
        Assert.That(e!.Message, Does.Contain(prefix + ".index is corrupted: checksum mismatch in its data block at offset 0"));
    }

    [Test]
    public void TruncatedIndexIsDataLoss()
    {
        var prefix = CopyOfTfCheckpoint();
        var bytes = File.ReadAllBytes(prefix + ".index");
        File.WriteAllBytes(prefix + ".index", bytes[..300]);
        var e = Assert.Throws<DataLossException>(() => tf.train.load_variable(prefix, Matrix));
        Assert.That(e!.Message, Does.Contain(prefix + ".index is truncated or not a table: bad magic number at the end of the file (300 bytes)"));

        File.WriteAllBytes(prefix + ".index", bytes[..20]);
        e = Assert.Throws<DataLossException>(() => tf.train.list_variables(prefix));
        Assert.That(e!.Message, Does.Contain(prefix + ".index is truncated or not a table: 20 bytes, shorter than the 48-byte footer"));
    }

    [Test]
    public void TruncatedDataFileIsDataLossNamingTheTensor()
    {
        var prefix = CopyOfTfCheckpoint();
        var dataPath = prefix + ".data-00000-of-00001";
        File.WriteAllBytes(dataPath, File.ReadAllBytes(dataPath)[..20000]);
        var e = Assert.Throws<DataLossException>(() => tf.train.load_variable(prefix, Matrix));
        Assert.That(e!.Message, Does.Contain($"{dataPath} is truncated: tensor '{Matrix}' needs bytes 0 to 31360, the file has 20000"));
    }

    [Test]
    public void MissingCheckpointAndMissingKeyAreNotFound()
    {
        var missing = Path.Combine(TempDir(), "nothing");
        var e = Assert.Throws<NotFoundException>(() => tf.train.list_variables(missing));
        Assert.That(e!.Message, Does.Contain($"Failed to find any matching files for {missing}: {missing}.index does not exist"));
        var k = Assert.Throws<NotFoundException>(() => tf.train.load_variable(TfPrefix, "no/such/key"));
        Assert.That(k!.Message, Is.EqualTo($"Key no/such/key not found in checkpoint {TfPrefix}."));
    }

    [Test]
    public void WriterOutputReadsWithAnIndependentReader()
    {
        var prefix = Path.Combine(TempDir(), "bundle");
        var values = new (string Key, TensorValue Value)[]
        {
            ("weights", TensorValue.Create(new[] { 1.5f, -2.25f, 3e-8f, float.MaxValue, 0f, -0f }, 2, 3)),
            ("step", TensorValue.Scalar(123456789012L)),
            ("names", TensorValue.Create(new[] { "", "héllo", new string('x', 300) }, 3)),
            ("flags", TensorValue.Create(new[] { true, false, true }, 3)),
            ("bytes", TensorValue.Create(new byte[] { 0, 255, 7 }, 3)),
            ("d", TensorValue.Create(new[] { Math.PI }, 1)),
            ("layer/bias", TensorValue.Create(new[] { 7, -8 }, 2)),
        };
        using (var writer = new BundleWriter(prefix))
        {
            foreach (var (k, v) in values) writer.Add(k, v);
            writer.Finish();
        }
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(prefix)!).Select(Path.GetFileName).Order(),
                    Is.EqualTo(new[] { "bundle.data-00000-of-00001", "bundle.index" }), "no temporary files left");

        var table = IndependentBundleReader.ReadTable(File.ReadAllBytes(prefix + ".index"));
        Assert.That(table.Select(e => e.Key), Is.EqualTo(new[] { "", "bytes", "d", "flags", "layer/bias", "names", "step", "weights" }), "header first, then bytewise order");
        Assert.That(table[0].Value, Is.EqualTo(new byte[] { 0x08, 0x01, 0x1a, 0x02, 0x08, 0x01 }), "num_shards 1, little-endian, version producer 1");

        var data = File.ReadAllBytes(prefix + ".data-00000-of-00001");
        var entries = table.Skip(1).ToDictionary(e => e.Key, e => IndependentBundleReader.ParseEntry(e.Value));
        Assert.That(entries.Values.Sum(e => e.Size), Is.EqualTo(data.Length), "the data file holds exactly the tensors");
        foreach (var (key, entry) in entries)
            Assert.That(IndependentBundleReader.Unmask(entry.MaskedCrc),
                        key == "names" ? Is.Not.Zero : Is.EqualTo(IndependentBundleReader.Crc(data.AsSpan((int)entry.Offset, (int)entry.Size))), key);

        var w = entries["weights"];
        Assert.That((w.DType, w.Shape, w.Size), Is.EqualTo((1, new long[] { 2, 3 }, 24L)));
        var floats = Enumerable.Range(0, 6).Select(i => BitConverter.ToSingle(data, (int)w.Offset + 4 * i)).ToArray();
        Assert.That(floats, Is.EqualTo(new[] { 1.5f, -2.25f, 3e-8f, float.MaxValue, 0f, -0f }));
        var step = entries["step"];
        Assert.That((step.DType, step.Shape.Length, BitConverter.ToInt64(data, (int)step.Offset)), Is.EqualTo((9, 0, 123456789012L)));
        Assert.That(data.AsSpan((int)entries["flags"].Offset, 3).ToArray(), Is.EqualTo(new byte[] { 1, 0, 1 }));
        Assert.That(entries["layer/bias"].DType, Is.EqualTo(3));

        // Strings as TensorFlow stores them: varint lengths, the masked CRC of the lengths as uint32, then the bytes.
        var names = entries["names"];
        var s = data.AsSpan((int)names.Offset, (int)names.Size).ToArray();
        int p = 0;
        var lengths = new[] { IndependentBundleReader.Varint(s, ref p), IndependentBundleReader.Varint(s, ref p), IndependentBundleReader.Varint(s, ref p) };
        Assert.That(lengths, Is.EqualTo(new ulong[] { 0, 6, 300 }));
        var lengthBytes = lengths.SelectMany(n => BitConverter.GetBytes((uint)n)).ToArray();
        Assert.That(IndependentBundleReader.Unmask(BitConverter.ToUInt32(s, p)), Is.EqualTo(IndependentBundleReader.Crc(lengthBytes)));
        Assert.That(Encoding.UTF8.GetString(s, p + 4, s.Length - p - 4), Is.EqualTo("héllo" + new string('x', 300)));
        Assert.That(IndependentBundleReader.Unmask(names.MaskedCrc), Is.EqualTo(IndependentBundleReader.Crc([.. lengthBytes, .. s[p..]])));

        // And our reader gives every value back.
        var reader = new BundleReader(prefix);
        foreach (var (k, v) in values)
        {
            var back = reader.Read(k);
            Assert.That((back.dtype, back.shape), Is.EqualTo((v.dtype, v.shape)), k);
            Assert.That(back.Data, Is.EqualTo(v.Data), k);
        }
    }

    [Test]
    public void TablesWithManyBlocksRoundTrip()
    {
        // Small blocks: many data blocks, restart points every 16 keys, index keys shortened between blocks.
        var entries = Enumerable.Range(0, 500)
            .Select(i => (Key: Encoding.UTF8.GetBytes($"layer_{i / 10:D3}/weights_{i % 10}"), Value: BitConverter.GetBytes(i * 31)))
            .ToList();
        var file = LevelDbTable.Build(entries, blockSize: 256);
        var independent = IndependentBundleReader.ReadTable(file);
        Assert.That(independent.Select(e => e.Key), Is.EqualTo(entries.Select(e => Encoding.UTF8.GetString(e.Key))));
        Assert.That(independent.Select(e => BitConverter.ToInt32(e.Value)), Is.EqualTo(Enumerable.Range(0, 500).Select(i => i * 31)));
        var ours = LevelDbTable.ReadAll(file, "table");
        Assert.That(ours.Select(e => e.Value), Is.EqualTo(entries.Select(e => e.Value)));

        Assert.That(Encoding.UTF8.GetString(LevelDbTable.ShortestSeparator("abcdef"u8.ToArray(), "abzz"u8.ToArray())), Is.EqualTo("abd"));
        Assert.That(Encoding.UTF8.GetString(LevelDbTable.ShortestSeparator("abc"u8.ToArray(), "abd"u8.ToArray())), Is.EqualTo("abc"));
        Assert.That(Encoding.UTF8.GetString(LevelDbTable.ShortSuccessor("optimizer/x"u8.ToArray())), Is.EqualTo("p"));
        var unsorted = Assert.Throws<ArgumentException>(() => LevelDbTable.Build([("b"u8.ToArray(), []), ("a"u8.ToArray(), [])]));
        Assert.That(unsorted!.Message, Does.Contain("Table keys must be strictly increasing: \"a\" follows \"b\""));
    }

    [Test]
    public void OurTableMatchesTensorFlowsIndexByteForByte()
    {
        // Re-encoding TensorFlow's own index entries must give TensorFlow's file: same blocks, restarts, index key, footer.
        var original = File.ReadAllBytes(TfPrefix + ".index");
        var entries = LevelDbTable.ReadAll(original, "variables.index");
        Assert.That(LevelDbTable.Build(entries), Is.EqualTo(original));
    }

    [Test]
    public void RewritingTensorFlowsNumericTensorsGivesTensorFlowsBytesAndChecksums()
    {
        // Our writer, given TensorFlow's tensors in TensorFlow's data order, stores the same bytes and records the
        // same entries (dtype, shape, size, offset, masked CRC-32C).
        var tfEntries = LevelDbTable.ReadAll(File.ReadAllBytes(TfPrefix + ".index"), "variables.index").Skip(1)
            .Select(e => (Key: Encoding.UTF8.GetString(e.Key), Entry: Io.Proto.BundleEntryProto.Parser.ParseFrom(e.Value)))
            .Where(e => e.Entry.Dtype != Io.Proto.DataType.DtString)
            .OrderBy(e => e.Entry.Offset)
            .ToList();
        Assert.That(tfEntries, Has.Count.EqualTo(7));
        var tfReader = new BundleReader(TfPrefix);
        var prefix = Path.Combine(TempDir(), "rewritten");
        using (var writer = new BundleWriter(prefix))
        {
            foreach (var (key, _) in tfEntries) writer.Add(key, tfReader.Read(key));
            writer.Finish();
        }
        var ours = LevelDbTable.ReadAll(File.ReadAllBytes(prefix + ".index"), "rewritten.index").Skip(1)
            .ToDictionary(e => Encoding.UTF8.GetString(e.Key), e => Io.Proto.BundleEntryProto.Parser.ParseFrom(e.Value));
        var tfData = File.ReadAllBytes(TfPrefix + ".data-00000-of-00001");
        var ourData = File.ReadAllBytes(prefix + ".data-00000-of-00001");
        Assert.That(ourData, Is.EqualTo(tfData[..ourData.Length]), "the numeric tensors come first in TensorFlow's file too");
        foreach (var (key, entry) in tfEntries)
            Assert.That(ours[key], Is.EqualTo(entry), key);
    }

    [Test]
    public void WriterRejectsDuplicateAndEmptyKeysAndLeavesNoFilesWhenAbandoned()
    {
        var dir = TempDir();
        using (var writer = new BundleWriter(Path.Combine(dir, "x")))
        {
            writer.Add("a", TensorValue.Scalar(1f));
            var dup = Assert.Throws<InvalidArgumentException>(() => writer.Add("a", TensorValue.Scalar(2f)));
            Assert.That(dup!.Message, Is.EqualTo($"Adding duplicate key to checkpoint {Path.Combine(dir, "x")}: a"));
            var empty = Assert.Throws<InvalidArgumentException>(() => writer.Add("", TensorValue.Scalar(2f)));
            Assert.That(empty!.Message, Does.Contain("needs a non-empty name"));
        }
        Assert.That(Directory.GetFiles(dir), Is.Empty, "an abandoned writer deletes its temporary data file");
        var missing = Assert.Throws<NotFoundException>(() => new BundleWriter(Path.Combine(dir, "no", "x")));
        Assert.That(missing!.Message, Does.Contain($"the directory {Path.Combine(dir, "no")} does not exist"));
    }

    [Test]
    public void SliceEntriesOfPartitionedVariablesAreNotListedAndDoNotCollide()
    {
        // TensorFlow writes a partitioned variable's slices under binary OrderedCode keys: a 0 byte, the name, the
        // rank, then one byte per bound (0x80 ^ value). Two slices of w differ only in bytes that are not UTF-8.
        var prefix = Path.Combine(TempDir(), "partitioned");
        using (var writer = new BundleWriter(prefix))
        {
            writer.Add("w", TensorValue.Create(new[] { 1f, 2f }, 2));
            writer.Finish();
        }
        var table = LevelDbTable.ReadAll(File.ReadAllBytes(prefix + ".index"), "partitioned.index");
        var wEntry = table.Single(e => Encoding.UTF8.GetString(e.Key) == "w").Value;
        byte[] Slice(byte start) => [0, (byte)'w', 1, 0x80, start, 0x80, 0x81];
        var entries = table.Append((Key: Slice(0x80), Value: wEntry)).Append((Key: Slice(0x85), Value: wEntry))
                           .OrderBy(e => e.Key, Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToList();
        File.WriteAllBytes(prefix + ".index", LevelDbTable.Build(entries));
        var reader = new BundleReader(prefix);
        Assert.That(reader.Keys, Is.EqualTo(new[] { "w" }));
        Assert.That(reader.Read("w").ToArray<float>(), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void AFooterHandleFarPastTheFileIsDataLoss()
    {
        // offset 2^62: offset + size + trailer would overflow a long if taken at face value.
        var prefix = Path.Combine(TempDir(), "footer");
        using (var writer = new BundleWriter(prefix))
        {
            writer.Add("w", TensorValue.Create(new[] { 1f }, 1));
            writer.Finish();
        }
        var index = File.ReadAllBytes(prefix + ".index");
        var footer = index.AsSpan(index.Length - 48, 40);
        footer.Clear();
        byte[] varint = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0x10]; // 2^62, then size 16
        varint.CopyTo(footer);
        File.WriteAllBytes(prefix + ".index", index);
        var e = Assert.Throws<DataLossException>(() => new BundleReader(prefix));
        Assert.That(e!.Message, Does.Contain("is corrupted").And.Contain("points at offset 4611686018427387904"));
    }
}
