namespace DataflowNet;

public static partial class tf
{
    private const int DefaultGraphSeed = 87654321;

    /// <summary>Normal samples: mean + stddev · N(0, 1).</summary>
    public static Tensor random_normal(TensorShape shape, float mean = 0f, float stddev = 1f, DataType dtype = DataType.Float32, int? seed = null, string? name = null) =>
        Scaled("RandomStandardNormal", shape, stddev, mean, dtype, seed, name ?? "random_normal");

    /// <summary>Normal samples with values beyond two standard deviations redrawn, as tf.truncated_normal.</summary>
    public static Tensor truncated_normal(TensorShape shape, float mean = 0f, float stddev = 1f, DataType dtype = DataType.Float32, int? seed = null, string? name = null) =>
        Scaled("TruncatedNormal", shape, stddev, mean, dtype, seed, name ?? "truncated_normal");

    /// <summary>Uniform samples in [minval, maxval).</summary>
    public static Tensor random_uniform(TensorShape shape, float minval = 0f, float maxval = 1f, DataType dtype = DataType.Float32, int? seed = null, string? name = null) =>
        Scaled("RandomUniform", shape, maxval - minval, minval, dtype, seed, name ?? "random_uniform");

    /// <summary>The value with its first dimension shuffled.</summary>
    public static Tensor random_shuffle(TensorLike value, int? seed = null, string? name = null)
    {
        var (s1, s2) = Seeds(seed);
        return Op("RandomShuffle", [value.ToTensor()], new() { ["seed"] = s1, ["seed2"] = s2 }, name);
    }

    private static Tensor Scaled(string type, TensorShape shape, float scale, float offset, DataType dtype, int? seed, string name)
    {
        // "" as TensorFlow: the op's default name (an empty scope would give the op no name at all).
        if (string.IsNullOrEmpty(name))
            name = type switch { "RandomUniform" => "random_uniform", "TruncatedNormal" => "truncated_normal", _ => "random_normal" };
        if (!shape.IsFullyDefined) throw new InvalidArgumentException($"{name}: shape must be fully defined, got {shape}.");
        if (!dtype.IsFloating()) throw new InvalidArgumentException($"{name}: dtype must be float32 or float64, got {dtype.Name()}.");
        using var scope = DataflowNet.Graph.Default.name_scope(name);
        var (s1, s2) = Seeds(seed);
        var sample = Op(type, [IntVector(shape.Dims, "shape")], new() { ["dtype"] = dtype, ["seed"] = s1, ["seed2"] = s2 }, type);
        var scaled = multiply(sample, constant(scale, dtype, name: "scale"), name: "mul");
        return Op("AddV2", [scaled, constant(offset, dtype, name: "offset")], name: scope.Name);
    }

    /// <summary>
    /// TensorFlow's seed rule: graph seed and op seed together fix the sequence; a graph seed alone derives the op
    /// seed from the op's position in the graph; neither gives fresh numbers each session.
    /// </summary>
    private static (int, int) Seeds(int? opSeed)
    {
        var graph = DataflowNet.Graph.Default;
        int? g = graph.seed;
        (int, int) seeds;
        if (g is not null) seeds = (g.Value, opSeed ?? graph.LastId);
        else if (opSeed is not null) seeds = (DefaultGraphSeed, opSeed.Value);
        else return (0, 0);
        return seeds == (0, 0) ? (0, int.MaxValue) : seeds;
    }
}
