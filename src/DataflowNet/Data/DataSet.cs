namespace DataflowNet;

/// <summary>
/// Examples and labels held in memory, served in shuffled mini-batches: the <c>DataSet</c> of TensorFlow's MNIST
/// tutorial (tensorflow/examples/tutorials/mnist/input_data). Images are float32 <c>[n, features]</c>; labels are
/// one-hot float32 <c>[n, classes]</c> or sparse int32 <c>[n]</c>.
/// <para><see cref="next_batch"/> follows TensorFlow's semantics exactly: the order is shuffled at the start of the
/// first epoch and of every later one, and a batch that runs past the end of an epoch is the epoch's remainder
/// followed by the start of the next, reshuffled epoch. One difference on purpose: the shuffle permutes an index,
/// not the data, so <see cref="images"/> and <see cref="labels"/> keep their original order (TensorFlow's reorder
/// as training goes). Not thread-safe, like TensorFlow's.</para>
/// </summary>
public sealed class DataSet
{
    private readonly Array _images, _labels;
    private readonly int _imageWidth, _labelWidth;
    private readonly int[] _order;
    private readonly Random _rng;
    private int _indexInEpoch;

    /// <param name="images">float32 <c>[n, features]</c>. Held, not copied.</param>
    /// <param name="labels">sparse int32 <c>[n]</c> or one-hot float32 <c>[n, classes]</c>. Held, not copied.</param>
    /// <param name="seed">seeds the shuffle, so a run's batches are the same run after run.</param>
    public DataSet(TensorValue images, TensorValue labels, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.dtype != DataType.Float32 || images.ndim != 2)
            throw new ArgumentException($"images must be float32 [n, features]; got {images.dtype.Name()} {TensorShape.Format(images.Dims)}.", nameof(images));
        bool sparse = labels.dtype == DataType.Int32 && labels.ndim == 1;
        bool oneHot = labels.dtype == DataType.Float32 && labels.ndim == 2;
        if (!sparse && !oneHot)
            throw new ArgumentException($"labels must be sparse int32 [n] or one-hot float32 [n, classes]; got {labels.dtype.Name()} {TensorShape.Format(labels.Dims)}.", nameof(labels));
        if (labels.Dims[0] != images.Dims[0])
            throw new ArgumentException($"images has {images.Dims[0]} examples but labels has {labels.Dims[0]}.", nameof(labels));

        this.images = images;
        this.labels = labels;
        _images = images.Data;
        _labels = labels.Data;
        _imageWidth = images.Dims[1];
        _labelWidth = sparse ? 1 : labels.Dims[1];
        num_examples = images.Dims[0];
        _order = Enumerable.Range(0, num_examples).ToArray();
        _rng = new Random(seed);
    }

    /// <summary>All images, float32 <c>[n, features]</c>, in their original order.</summary>
    public TensorValue images { get; }
    /// <summary>All labels (int32 <c>[n]</c> or float32 <c>[n, classes]</c>), in their original order.</summary>
    public TensorValue labels { get; }
    public int num_examples { get; }
    /// <summary>How many epochs <see cref="next_batch"/> has finished.</summary>
    public int epochs_completed { get; private set; }

    /// <summary>
    /// The next <paramref name="batch_size"/> examples, as fresh arrays the caller may keep. With
    /// <paramref name="shuffle"/> false the examples come in their original order (TensorFlow's flag of that name).
    /// </summary>
    public (TensorValue images, TensorValue labels) next_batch(int batch_size, bool shuffle = true)
    {
        // TensorFlow would return a short batch here; a clear error is kinder than a silently wrong shape.
        if (batch_size <= 0 || batch_size > num_examples)
            throw new ArgumentOutOfRangeException(nameof(batch_size), batch_size,
                $"batch_size must be between 1 and num_examples ({num_examples}).");

        int start = _indexInEpoch;
        if (epochs_completed == 0 && start == 0 && shuffle) _rng.Shuffle(_order);

        var rows = new int[batch_size];
        if (start + batch_size > num_examples)
        {
            // Mirrors TensorFlow: an epoch counts as completed only when a batch runs past its end, so a batch that
            // ends exactly at the end leaves epochs_completed unchanged until the next call.
            epochs_completed++;
            int rest = num_examples - start;
            _order.AsSpan(start, rest).CopyTo(rows);
            if (shuffle) _rng.Shuffle(_order);
            _indexInEpoch = batch_size - rest;
            _order.AsSpan(0, _indexInEpoch).CopyTo(rows.AsSpan(rest));
        }
        else
        {
            _order.AsSpan(start, batch_size).CopyTo(rows);
            _indexInEpoch += batch_size;
        }
        return (Gather(images, _images, _imageWidth, rows), Gather(labels, _labels, _labelWidth, rows));
    }

    private static TensorValue Gather(TensorValue source, Array data, int width, int[] rows)
    {
        var result = Array.CreateInstance(data.GetType().GetElementType()!, rows.Length * width);
        for (int i = 0; i < rows.Length; i++) Array.Copy(data, rows[i] * width, result, i * width, width);
        var dims = source.shape;
        dims[0] = rows.Length;
        return new TensorValue(source.dtype, dims, result);
    }

    /// <summary>Sparse class ids as one-hot float32 rows (TensorFlow's <c>dense_to_one_hot</c>).</summary>
    internal static float[] DenseToOneHot(ReadOnlySpan<int> labels, int classes)
    {
        var oneHot = new float[labels.Length * classes];
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new InvalidDataException($"Label {labels[i]} at example {i} is outside 0..{classes - 1}.");
            oneHot[i * classes + labels[i]] = 1f;
        }
        return oneHot;
    }

    /// <summary>
    /// A data set over the examples <paramref name="rows"/> of flat uint8 pixels (<paramref name="width"/> per
    /// example), each pixel multiplied by <paramref name="scale"/>, with labels made one-hot when asked.
    /// </summary>
    internal static DataSet FromRows(byte[] pixels, int width, float scale, byte[] labels, ReadOnlySpan<int> rows,
        bool oneHot, int classes, int seed)
    {
        var x = new float[rows.Length * width];
        var y = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            var src = pixels.AsSpan(rows[i] * width, width);
            var dst = x.AsSpan(i * width, width);
            for (int j = 0; j < width; j++) dst[j] = src[j] * scale;
            y[i] = labels[rows[i]];
            // Checked here for the dense labels too (one-hot encoding checks its own): a corrupt label must not pass.
            if ((uint)y[i] >= (uint)classes)
                throw new InvalidDataException($"Label {y[i]} at example {rows[i]} is outside 0..{classes - 1}.");
        }
        var yValue = oneHot ? TensorValue.Create(DenseToOneHot(y, classes), rows.Length, classes) : TensorValue.Create(y, rows.Length);
        return new DataSet(TensorValue.Create(x, rows.Length, width), yValue, seed);
    }
}
