using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>next_batch on a small hand-made DataSet: example i has image (i, i + 0.5) and label i % 3.</summary>
public class DataSetTests
{
    private static DataSet Small(int n = 10, int seed = 0, bool oneHot = false)
    {
        var images = Enumerable.Range(0, n).SelectMany(i => new[] { i, i + 0.5f }).ToArray();
        var labels = oneHot
            ? TensorValue.Create(Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, 3).Select(c => c == i % 3 ? 1f : 0f)).ToArray(), n, 3)
            : TensorValue.Create(Enumerable.Range(0, n).Select(i => i % 3).ToArray(), n);
        return new DataSet(TensorValue.Create(images, n, 2), labels, seed);
    }

    /// <summary>The example ids of a batch, checking each image row and its label belong together.</summary>
    private static int[] Ids((TensorValue images, TensorValue labels) batch)
    {
        var x = batch.images.ToArray<float>();
        var ids = Enumerable.Range(0, x.Length / 2).Select(r => (int)x[2 * r]).ToArray();
        for (int r = 0; r < ids.Length; r++) Assert.That(x[2 * r + 1], Is.EqualTo(ids[r] + 0.5f), "image row intact");
        var sparse = batch.labels.ndim == 1 ? batch.labels.ToArray<int>()
            : batch.labels.ToArray<float>().Chunk(3).Select(row => Array.IndexOf(row, 1f)).ToArray();
        Assert.That(sparse, Is.EqualTo(ids.Select(i => i % 3).ToArray()), "labels follow their images");
        return ids;
    }

    [Test]
    public void PropertiesDescribeTheData()
    {
        var data = Small();
        Assert.That(data.num_examples, Is.EqualTo(10));
        Assert.That(data.epochs_completed, Is.EqualTo(0));
        Assert.That(data.images.shape, Is.EqualTo(new[] { 10, 2 }));
        Assert.That(data.images.dtype, Is.EqualTo(tf.float32));
        Assert.That(data.labels.shape, Is.EqualTo(new[] { 10 }));
        Assert.That(data.labels.dtype, Is.EqualTo(tf.int32));
    }

    [Test]
    public void ThirdBatchOfFourWrapsIntoTheNextEpoch()
    {
        var data = Small();
        var first = Ids(data.next_batch(4));
        var second = Ids(data.next_batch(4));
        Assert.That(data.epochs_completed, Is.EqualTo(0));
        var third = data.next_batch(4);
        Assert.That(data.epochs_completed, Is.EqualTo(1));
        Assert.That(third.images.shape, Is.EqualTo(new[] { 4, 2 }));
        Assert.That(third.labels.shape, Is.EqualTo(new[] { 4 }));

        // The wrap-around batch: the two examples the first epoch had left, then two of the reshuffled next epoch.
        var wrap = Ids(third);
        var rest = Enumerable.Range(0, 10).Except(first).Except(second).ToArray();
        Assert.That(wrap[..2], Is.EquivalentTo(rest));
        var fourth = Ids(data.next_batch(4));
        var fifth = Ids(data.next_batch(4));
        Assert.That(wrap[2..].Concat(fourth).Concat(fifth), Is.EquivalentTo(Enumerable.Range(0, 10)), "second epoch");
        Assert.That(data.epochs_completed, Is.EqualTo(1));
    }

    [Test]
    public void EveryExampleIsSeenExactlyOncePerEpoch()
    {
        var data = Small(seed: 7);
        var seen = Enumerable.Range(0, 10).SelectMany(_ => Ids(data.next_batch(4))).ToArray();   // 40 = 4 epochs
        foreach (var epoch in seen.Chunk(10))
            Assert.That(epoch, Is.EquivalentTo(Enumerable.Range(0, 10)));
        Assert.That(seen.Chunk(10).Select(e => string.Join(",", e)).Distinct().Count(), Is.GreaterThan(1), "reshuffled each epoch");
        Assert.That(data.epochs_completed, Is.EqualTo(3), "the fourth epoch ended exactly at a batch's end: TensorFlow counts it on the next call");
    }

    [Test]
    public void AnEpochEndingExactlyAtABatchCountsOnTheNextCall()
    {
        var data = Small();
        data.next_batch(5);
        data.next_batch(5);
        Assert.That(data.epochs_completed, Is.EqualTo(0));
        data.next_batch(5);
        Assert.That(data.epochs_completed, Is.EqualTo(1));
    }

    [Test]
    public void TheSameSeedGivesTheSameOrderAndDifferentSeedsDiffer()
    {
        int[] Order(int seed)
        {
            var data = Small(seed: seed);
            return Enumerable.Range(0, 5).SelectMany(_ => Ids(data.next_batch(4))).ToArray();
        }
        Assert.That(Order(42), Is.EqualTo(Order(42)));
        Assert.That(Order(1), Is.Not.EqualTo(Order(2)));
        Assert.That(Order(0)[..10], Is.Not.EqualTo(Enumerable.Range(0, 10).ToArray()), "shuffled from the first batch");
    }

    [Test]
    public void WithoutShuffleBatchesComeInOrder()
    {
        var data = Small();
        Assert.That(Ids(data.next_batch(4, shuffle: false)), Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(Ids(data.next_batch(4, shuffle: false)), Is.EqualTo(new[] { 4, 5, 6, 7 }));
        Assert.That(Ids(data.next_batch(4, shuffle: false)), Is.EqualTo(new[] { 8, 9, 0, 1 }));
    }

    [Test]
    public void BatchesAreFreshAndTheDataKeepsItsOrder()
    {
        var data = Small(seed: 3);
        var kept = data.next_batch(4);
        var keptValues = kept.images.ToArray<float>();
        for (int i = 0; i < 6; i++) data.next_batch(4);
        Assert.That(kept.images.ToArray<float>(), Is.EqualTo(keptValues));
        Assert.That(data.images.ToArray<float>().Where((_, k) => k % 2 == 0), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (float)i)));
    }

    [Test]
    public void OneHotLabelsAreBatchedAlongWithTheirImages()
    {
        var data = Small(oneHot: true, seed: 5);
        Assert.That(data.labels.shape, Is.EqualTo(new[] { 10, 3 }));
        Assert.That(data.labels.dtype, Is.EqualTo(tf.float32));
        var batch = data.next_batch(4);
        Assert.That(batch.labels.shape, Is.EqualTo(new[] { 4, 3 }));
        Assert.That(batch.labels.ToArray<float>().Chunk(3).Select(r => r.Sum()), Is.All.EqualTo(1f));
        Ids(batch);
    }

    [Test]
    public void BadBatchSizesAreRejected([Values(0, -1, 11)] int batchSize)
    {
        var data = Small();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => data.next_batch(batchSize));
        Assert.That(e!.ParamName, Is.EqualTo("batch_size"));
        Assert.That(e.Message, Does.Contain("between 1 and num_examples (10)"));
    }

    [Test]
    public void MismatchedOrMistypedDataIsRejected()
    {
        var images = TensorValue.Create(new float[6], 3, 2);
        Assert.Throws<ArgumentException>(() => new DataSet(images, TensorValue.Create(new int[2], 2)));
        Assert.Throws<ArgumentException>(() => new DataSet(TensorValue.Create(new double[6], 3, 2), TensorValue.Create(new int[3], 3)));
        Assert.Throws<ArgumentException>(() => new DataSet(images, TensorValue.Create(new long[3], 3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataSet(TensorValue.Create(new float[0], 0, 2), TensorValue.Create(new int[0], 0)).next_batch(1));
    }
}

/// <summary>The vendored 8x8 digits, checked against the CSV read independently here.</summary>
public class DigitsDataTests
{
    private static string CsvPath()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "datasets", "digits.csv.gz"))) dir = dir.Parent;
        return Path.Combine(dir.FullName, "datasets", "digits.csv.gz");
    }

    private static List<int[]> CsvRows()
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(CsvPath()), CompressionMode.Decompress));
        var rows = new List<int[]>();
        while (reader.ReadLine() is { Length: > 0 } line) rows.Add(line.Split(',').Select(int.Parse).ToArray());
        return rows;
    }

    /// <summary>Each example back as CSV integers: 64 pixels (feature * 16) and the label.</summary>
    private static IEnumerable<int[]> Rows(DataSet set)
    {
        var x = set.images.ToArray<float>();
        var y = set.labels.ToArray<int>();
        return Enumerable.Range(0, set.num_examples).Select(i =>
            x.Skip(i * 64).Take(64).Select(v => (int)Math.Round(v * 16)).Append(y[i]).ToArray());
    }

    [Test]
    public void LoadsAllExamplesScaledWithTenBalancedClasses()
    {
        var digits = input_data.read_digits();
        Assert.That(digits.train.num_examples, Is.EqualTo(1797 - 360));
        Assert.That(digits.test.num_examples, Is.EqualTo(360));
        Assert.That(digits.validation.num_examples, Is.EqualTo(0));
        Assert.That(digits.train.images.shape, Is.EqualTo(new[] { 1437, 64 }));
        Assert.That(digits.validation.images.shape, Is.EqualTo(new[] { 0, 64 }));

        var features = digits.train.images.ToArray<float>().Concat(digits.test.images.ToArray<float>()).ToArray();
        Assert.That(features, Has.Length.EqualTo(1797 * 64));
        Assert.That(features, Is.All.InRange(0f, 1f));
        Assert.That(features.Max(), Is.EqualTo(1f));
        var labels = digits.train.labels.ToArray<int>().Concat(digits.test.labels.ToArray<int>()).ToArray();
        Assert.That(labels.Distinct().Order(), Is.EqualTo(Enumerable.Range(0, 10)));
        Assert.That(labels.CountBy(l => l).Select(c => c.Value), Is.All.InRange(170, 190));
    }

    [Test]
    public void EveryCsvLineIsOneExampleFirstLineIncluded()
    {
        var csv = CsvRows();
        Assert.That(csv, Has.Count.EqualTo(1797));
        var digits = input_data.read_digits(seed: 11);
        var loaded = Rows(digits.train).Concat(Rows(digits.test)).Select(r => string.Join(",", r)).ToList();
        Assert.That(loaded, Does.Contain(string.Join(",", csv[0])), "the first CSV line, pixels / 16 and its label");
        Assert.That(loaded.Order(), Is.EqualTo(csv.Select(r => string.Join(",", r)).Order()), "the same rows, only reordered");
    }

    [Test]
    public void OneHotAndSparseLabelsAgree()
    {
        var sparse = input_data.read_digits(seed: 3);
        var oneHot = input_data.read_digits(one_hot: true, seed: 3);
        Assert.That(sparse.train.labels.dtype, Is.EqualTo(tf.int32));
        Assert.That(sparse.train.labels.shape, Is.EqualTo(new[] { 1437 }));
        Assert.That(oneHot.train.labels.dtype, Is.EqualTo(tf.float32));
        Assert.That(oneHot.train.labels.shape, Is.EqualTo(new[] { 1437, 10 }));
        var rows = oneHot.train.labels.ToArray<float>().Chunk(10).ToList();
        Assert.That(rows.Select(r => r.Sum()), Is.All.EqualTo(1f));
        Assert.That(rows.Select(r => Array.IndexOf(r, 1f)), Is.EqualTo(sparse.train.labels.ToArray<int>()));
        Assert.That(oneHot.train.images.ToArray<float>(), Is.EqualTo(sparse.train.images.ToArray<float>()));
        var (_, batchLabels) = oneHot.train.next_batch(32);
        Assert.That(batchLabels.shape, Is.EqualTo(new[] { 32, 10 }));
    }

    [Test]
    public void TheSplitIsSeeded()
    {
        var a = input_data.read_digits(seed: 1).test.labels.ToArray<int>();
        Assert.That(input_data.read_digits(seed: 1).test.labels.ToArray<int>(), Is.EqualTo(a));
        Assert.That(input_data.read_digits(seed: 2).test.labels.ToArray<int>(), Is.Not.EqualTo(a));
        Assert.That(input_data.read_digits(test_size: 0, path: CsvPath()).train.num_examples, Is.EqualTo(1797));
    }

    [Test]
    public void BadArgumentsAndMissingFilesAreReported()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => input_data.read_digits(test_size: 1798));
        Assert.Throws<ArgumentOutOfRangeException>(() => input_data.read_digits(test_size: -1));
        Assert.Throws<FileNotFoundException>(() => input_data.read_digits(path: Path.Combine(Path.GetTempPath(), "no-such-digits.csv.gz")));
    }
}

/// <summary>MNIST's pieces, on small files made here: CI never downloads MNIST.</summary>
public class MnistDataTests
{
    private string _dir = "";

    [SetUp]
    public void MakeFolder() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "dfn-data-tests-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static byte[] IdxImages(int count, int rows, int cols, Func<int, byte> pixel)
    {
        var bytes = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 2051);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (int i = 16; i < bytes.Length; i++) bytes[i] = pixel(i - 16);
        return bytes;
    }

    private static byte[] IdxLabels(params byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 2049);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    [Test]
    public void IdxImagesAndLabelsParse()
    {
        var images = Idx.ReadImages(IdxImages(2, 2, 3, i => (byte)(i * 10)), "images");
        Assert.That((images.Count, images.Rows, images.Cols), Is.EqualTo((2, 2, 3)));
        Assert.That(images.Pixels, Is.EqualTo(Enumerable.Range(0, 12).Select(i => (byte)(i * 10))));
        Assert.That(Idx.ReadLabels(IdxLabels(7, 0, 9), "labels"), Is.EqualTo(new byte[] { 7, 0, 9 }));
    }

    [Test]
    public void MalformedIdxIsRejected()
    {
        var images = IdxImages(2, 2, 3, _ => 1);
        Assert.That(() => Idx.ReadImages(IdxLabels(1, 2), "x"), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("magic number is 2049, expected 2051"));
        Assert.That(() => Idx.ReadLabels(images, "x"), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("expected 2049"));
        Assert.That(() => Idx.ReadImages(images[..^1], "x"), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("need 28 bytes, the file has 27"));
        Assert.That(() => Idx.ReadImages(images[..10], "x"), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("too short"));
        Assert.That(() => Idx.ReadLabels(IdxLabels(1, 2, 3).Append((byte)0).ToArray(), "x"), Throws.InstanceOf<InvalidDataException>());
    }

    [Test]
    public void IntegrityCheckAcceptsTheRightBytesAndRejectsACorruptedTarball()
    {
        var tarball = RandomNumberGenerator.GetBytes(4096);
        var integrity = "sha512-" + Convert.ToBase64String(SHA512.HashData(tarball));
        Assert.DoesNotThrow(() => MnistDownload.VerifyIntegrity(new MemoryStream(tarball), integrity));
        tarball[100] ^= 1;
        Assert.That(() => MnistDownload.VerifyIntegrity(new MemoryStream(tarball), integrity),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("corrupt"));
        Assert.That(MnistDownload.Integrity, Does.StartWith("sha512-").And.Length.EqualTo(7 + 88));
    }

    private static MemoryStream Tgz(params (string Name, byte[] Data)[] entries)
    {
        var tgz = new MemoryStream();
        using (var gzip = new GZipStream(tgz, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip))
            foreach (var (name, data) in entries)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        tgz.Position = 0;
        return tgz;
    }

    [Test]
    public void ExtractWritesTheFourFilesFromPackageData()
    {
        var entries = MnistDownload.Files.Select((f, i) => ("package/data/" + f, new[] { (byte)i, (byte)42 }))
            .Prepend(("package/package.json", "{}"u8.ToArray())).ToArray();
        MnistDownload.Extract(Tgz(entries), _dir);
        Assert.That(Directory.GetFiles(_dir).Select(Path.GetFileName), Is.EquivalentTo(MnistDownload.Files), "no temporary files left");
        for (int i = 0; i < 4; i++)
            Assert.That(File.ReadAllBytes(Path.Combine(_dir, MnistDownload.Files[i])), Is.EqualTo(new[] { (byte)i, (byte)42 }));
    }

    [Test]
    public void ExtractWritesNothingWhenAFileIsMissing()
    {
        var entries = MnistDownload.Files.Skip(1).Select(f => ("package/data/" + f, new byte[] { 1 })).ToArray();
        Assert.That(() => MnistDownload.Extract(Tgz(entries), _dir),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains(MnistDownload.Files[0]));
        Assert.That(Directory.GetFiles(_dir), Is.Empty);
    }

    [Test]
    public void ReadDataSetsSplitsCachedFilesAsTensorFlowDoes()
    {
        // Six training images of 2x2 (image i has pixels i*50 .. i*50+3) and three test images, already "cached".
        File.WriteAllBytes(Path.Combine(_dir, MnistDownload.TrainImages), IdxImages(6, 2, 2, p => (byte)(p / 4 * 50 + p % 4)));
        File.WriteAllBytes(Path.Combine(_dir, MnistDownload.TrainLabels), IdxLabels(0, 1, 2, 3, 4, 5));
        File.WriteAllBytes(Path.Combine(_dir, MnistDownload.TestImages), IdxImages(3, 2, 2, _ => 255));
        File.WriteAllBytes(Path.Combine(_dir, MnistDownload.TestLabels), IdxLabels(9, 8, 7));

        var mnist = input_data.read_data_sets(_dir, one_hot: true, validation_size: 2);
        Assert.That(mnist.validation.labels.ToArray<float>().Chunk(10).Select(r => Array.IndexOf(r, 1f)), Is.EqualTo(new[] { 0, 1 }), "validation: the first examples");
        Assert.That(mnist.train.labels.ToArray<float>().Chunk(10).Select(r => Array.IndexOf(r, 1f)), Is.EqualTo(new[] { 2, 3, 4, 5 }));
        Assert.That(mnist.train.images.shape, Is.EqualTo(new[] { 4, 4 }));
        Assert.That(mnist.train.images.ToArray<float>()[..4], Is.EqualTo(new[] { 100, 101, 102, 103 }.Select(v => v * (float)(1.0 / 255.0))));
        Assert.That(mnist.test.images.ToArray<float>(), Is.All.EqualTo(255 * (float)(1.0 / 255.0)).And.All.InRange(0.999999f, 1f));
        Assert.That(mnist.test.labels.shape, Is.EqualTo(new[] { 3, 10 }));

        var sparse = input_data.read_data_sets(_dir, validation_size: 0);
        Assert.That(sparse.train.labels.ToArray<int>(), Is.EqualTo(new[] { 0, 1, 2, 3, 4, 5 }));
        Assert.That(sparse.validation.num_examples, Is.EqualTo(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => input_data.read_data_sets(_dir, validation_size: 7));
    }

    [Test]
    public void RelativeFoldersLiveUnderTheCacheRoot()
    {
        var before = Environment.GetEnvironmentVariable(input_data.DataEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(input_data.DataEnvironmentVariable, _dir);
            Assert.That(input_data.CacheDirectory("MNIST_data/"), Is.EqualTo(Path.Combine(_dir, "MNIST_data") + Path.DirectorySeparatorChar));
            Environment.SetEnvironmentVariable(input_data.DataEnvironmentVariable, null);
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            Assert.That(input_data.CacheDirectory("MNIST_data"), Is.EqualTo(Path.Combine(home, ".cache", "dataflownet", "MNIST_data")));
            Assert.That(input_data.CacheDirectory(_dir), Is.EqualTo(_dir));
        }
        finally
        {
            Environment.SetEnvironmentVariable(input_data.DataEnvironmentVariable, before);
        }
    }

    [Test]
    public void ALabelOutsideTheClassesIsRefusedWithDenseLabelsToo()
    {
        byte[] pixels = [0, 255, 10, 20], labels = [3, 12];
        foreach (var oneHot in new[] { true, false })
        {
            var error = Assert.Throws<InvalidDataException>(() => DataSet.FromRows(pixels, 2, 1f / 255, labels, [0, 1], oneHot, 10, seed: 1));
            Assert.That(error!.Message, Does.Contain("Label 12").And.Contain("outside 0..9"));
        }
        var fine = DataSet.FromRows(pixels, 2, 1f / 255, [3, 9], [0, 1], oneHot: false, 10, seed: 1);
        Assert.That(fine.num_examples, Is.EqualTo(2));
    }
}
