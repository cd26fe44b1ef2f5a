using System.Reflection;
using DataflowNet.Kernels.Gpu;

namespace DataflowNet.GpuCheck;

/// <summary>
/// One GPU kernel check: a graph whose result is computed on the CPU device and on a GPU device, which must agree
/// within <paramref name="Tolerance"/> (relative, for magnitudes over 1), with the op named <paramref name="PlacedOp"/>
/// (default: the result's op) placed on the GPU. gpucheck runs the catalog on CUDA; the tests run it on ILGPU's CPU
/// accelerator on every commit.
/// </summary>
public sealed record KernelCase(string Name, Func<Tensor> Build, double Tolerance, Func<Tensor, Operation>? PlacedOp = null)
{
    public override string ToString() => Name;
}

/// <summary>The catalog: each family's file adds a static property of cases; <see cref="All"/> gathers them.</summary>
public static partial class KernelCases
{
    public static IReadOnlyList<KernelCase> All { get; } = typeof(KernelCases)
        .GetProperties(BindingFlags.Public | BindingFlags.Static)
        .Where(p => p.PropertyType == typeof(IEnumerable<KernelCase>))
        .OrderBy(p => p.MetadataToken)
        .SelectMany(p => (IEnumerable<KernelCase>)p.GetValue(null)!)
        .ToList();

    /// <summary>Deterministic inputs in [lo, hi): each case seeds its own stream by its size, so cases do not depend on order.</summary>
    public static float[] Data(int n, float lo = -1, float hi = 1, int seed = 1)
    {
        var rng = new Random(seed * 7919 + n);
        return Enumerable.Range(0, n).Select(_ => (float)(lo + rng.NextDouble() * (hi - lo))).ToArray();
    }

    public static Tensor Constant(float[] data, params int[] shape) => tf.constant(data, shape: new TensorShape(shape));

    /// <summary>Random float32 constant of <paramref name="shape"/> with values in [lo, hi).</summary>
    public static Tensor Random(int[] shape, float lo = -1, float hi = 1, int seed = 1) =>
        Constant(Data(shape.Aggregate(1, (a, b) => a * b), lo, hi, seed), shape);

    /// <summary>The gradient of sum(f(x)) with respect to x: it ends in f's gradient op, the op the check places.</summary>
    public static Tensor Grad(Func<Tensor, Tensor> f, int n = 500, float lo = -3, float hi = 3)
    {
        var x = Constant(Data(n, lo, hi, seed: 3), n);
        return tf.gradients(tf.reduce_sum(f(x)), x)[0]!;
    }
}

/// <summary>Runs a <see cref="KernelCase"/> on both devices and compares.</summary>
public static class KernelCheck
{
    public sealed record Result(bool Ok, double MaxError, bool OnGpu, string Detail);

    /// <summary>A session on the CPU device alone, whatever GPUs the machine has: the reference every check compares with.</summary>
    public static ConfigProto CpuOnly => new() { Devices = [CpuDevice.Instance] };

    public static Result Run(KernelCase c, GpuDevice gpu)
    {
        tf.reset_default_graph();
        var y = c.Build();
        var placed = c.PlacedOp?.Invoke(y) ?? y.op;
        TensorValue expected, got;
        using (var s = tf.Session(config: CpuOnly)) expected = s.run(y);
        var log = new StringWriter();
        var previous = Log.Writer;
        Log.Writer = log;
        try
        {
            using var s = tf.Session(config: new ConfigProto { Devices = [gpu], LogDevicePlacement = true });
            got = s.run(y);
        }
        finally { Log.Writer = previous; }
        bool onGpu = log.ToString().Contains($"{placed.name}: ({placed.type}): /job:localhost/replica:0/task:0/device:GPU:0");
        if (expected.dtype != got.dtype || !expected.shape.SequenceEqual(got.shape))
            return new(false, double.NaN, onGpu, $"got {got.dtype.Name()} {TensorShape.Format(got.Dims)}, expected {expected.dtype.Name()} {TensorShape.Format(expected.Dims)}");
        var e = Doubles(expected);
        var g = Doubles(got);
        double err = 0;
        for (int i = 0; i < e.Length; i++)
        {
            if (double.IsNaN(e[i]) != double.IsNaN(g[i])) { err = double.PositiveInfinity; break; }
            if (!double.IsNaN(e[i])) err = Math.Max(err, e[i] == g[i] ? 0 : Math.Abs(e[i] - g[i]) / Math.Max(1, Math.Abs(e[i])));
        }
        return new(err <= c.Tolerance && onGpu, err, onGpu, onGpu ? "" : $"{placed.name} ({placed.type}) was NOT placed on the GPU");
    }

    private static double[] Doubles(TensorValue v) => v.Data switch
    {
        float[] f => f.Select(x => (double)x).ToArray(),
        double[] d => d,
        int[] i => i.Select(x => (double)x).ToArray(),
        long[] l => l.Select(x => (double)x).ToArray(),
        bool[] b => b.Select(x => x ? 1.0 : 0.0).ToArray(),
        var other => throw new NotSupportedException($"gpucheck compares numbers and bools, not {other.GetType().Name}"),
    };
}
