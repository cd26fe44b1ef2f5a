using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// Fused chains compiled into one register loop (<see cref="FusedLoop"/>) give, bit for bit, what the chunked
/// interpreter gives: every operator with a register form, full, scalar and row leaves, odd lengths (vector tails),
/// NaN, ±0 and ±∞, outputs large enough for streaming stores, and chains written into a variable.
/// </summary>
public class FusedLoopTests : GraphTest
{
    [TearDown]
    public void Enable() => FusedLoop.Enabled = true;

    private static float[] Values(int n, int seed)
    {
        var r = new Random(seed);
        var special = new[] { float.NaN, 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, 1e-40f };
        return Enumerable.Range(0, n).Select(i => i % 97 == 5 ? special[i % special.Length] : (float)(r.NextDouble() * 8 - 4)).ToArray();
    }

    /// <summary>The chain's result with the register loop and with the chunked path, each in a fresh graph and session.</summary>
    private static (float[] Loop, float[] Chunked) Both(Func<Tensor, Tensor, Tensor, Tensor> chain, int rows, int columns)
    {
        var results = new float[2][];
        foreach (var useLoop in new[] { true, false })
        {
            FusedLoop.Enabled = useLoop;
            var g = new Graph();
            using (g.as_default())
            {
                var x = tf.placeholder(tf.float32, shape: (-1, columns));
                var w = tf.placeholder(tf.float32, shape: (-1, columns));
                var b = tf.constant(Values(columns, 3));
                var y = chain(x, w, b);
                using var sess = tf.Session(g);
                var xs = NumSharp.np.array(Values(rows * columns, 1)).reshape(rows, columns);
                var ws = NumSharp.np.array(Values(rows * columns, 2)).reshape(rows, columns);
                results[useLoop ? 0 : 1] = sess.run(y, (x, xs), (w, ws)).ToArray<float>();
            }
        }
        return (results[0], results[1]);
    }

    private static readonly (string Name, Func<Tensor, Tensor, Tensor, Tensor> Chain)[] Chains =
    [
        ("relu(x*w+b)", (x, w, b) => tf.nn.relu(x * w + b)),
        ("bias_add then relu", (x, w, b) => tf.nn.relu(tf.nn.bias_add(x - w, b))),
        ("scalars", (x, w, b) => tf.maximum(x * 2f - 0.5f, tf.minimum(w, 1.5f)) / 3f),
        ("unary ops", (x, w, b) => tf.sqrt(tf.abs(tf.negative(tf.square(x)) + w)) + tf.reciprocal(w)),
    ];

    [Test]
    public void RegisterLoopMatchesTheChunkedPathBitForBit([Values(0, 1, 2, 3)] int chain, [Values(1, 7, 33, 64)] int columns)
    {
        var (name, f) = Chains[chain];
        // Chains 0 and 1 add a bias row: rows shorter than 16 stay on the chunked path (a 1-element bias is a scalar).
        bool expectLoop = chain >= 2 || columns >= 16 || columns == 1;
        foreach (int rows in new[] { 1, 5, 1001 })
        {
            int compiled = FusedLoop.Compiled;
            var (loop, chunked) = Both(f, rows, columns);
            Assert.That(FusedLoop.Compiled > compiled, Is.EqualTo(expectLoop), $"{name}, {rows}x{columns}: ran a compiled loop");
            Assert.That(loop, Is.EqualTo(chunked), $"{name}, {rows}x{columns}");
        }
    }

    [Test]
    public void LongChainStaysOnTheChunkedPathAndShortOneCompiles()
    {
        // 1,000 adds would nest the expression type 1,000 generic levels deep (a stack overflow in the JIT).
        foreach (var (ops, compiles) in new[] { (1000, false), (16, true), (17, false) })
        {
            tf.reset_default_graph();
            var p = tf.placeholder(tf.float32, shape: 64);
            var t = p;
            for (int i = 0; i < ops - 1; i++) t = t + p;
            t = tf.nn.relu(t);
            int compiled = FusedLoop.Compiled;
            using var sess = tf.Session();
            var xs = Enumerable.Range(0, 64).Select(i => i - 31.5f).ToArray();
            var result = sess.run(t, (p, xs)).ToArray<float>();
            Assert.That(result, Is.EqualTo(xs.Select(v => MathF.Max(v * ops, 0f)).ToArray()), $"{ops} ops");
            Assert.That(FusedLoop.Compiled > compiled, Is.EqualTo(compiles), $"{ops} ops compiled");
        }
    }

    [Test]
    public void StreamingStoresOfALargeOutputMatchTheChunkedPath()
    {
        // 3 × 2^20 floats (12 MB): past the streaming threshold, and split across the cores.
        var (loop, chunked) = Both(Chains[0].Chain, 3 << 10, 1 << 10);
        Assert.That(loop, Is.EqualTo(chunked));
    }

    [Test]
    public void ChainIntoAVariableUsesTheLoopAndLandsInTheVariable()
    {
        const int n = 100_003;
        var xs = Values(n, 4);
        var x = tf.Variable(xs);
        var y = tf.Variable(tf.zeros(n));
        var step = y.assign(tf.nn.relu(x * 3f - 1f));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(step.op);
        var expected = xs.Select(v => MathF.Max(v * 3f - 1f, 0f)).ToArray();
        Assert.That(sess.run(y).ToArray<float>(), Is.EqualTo(expected));
    }
}
