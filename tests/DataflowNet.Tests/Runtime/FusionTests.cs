using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>Fused elementwise chains give the values the separate ops give, and their assigns land in the variable.</summary>
public class FusionTests : GraphTest
{
    private static float[] Range(int n, float scale, float offset) => Enumerable.Range(0, n).Select(i => i * scale + offset).ToArray();

    [Test]
    public void ReluOfMulAddIntoVariableIsComputedInOnePass()
    {
        const int n = 5000; // more than one chunk, not a multiple of it
        var xs = Range(n, 0.01f, -20f);
        var ws = Range(n, -0.003f, 1f);
        var bs = Range(n, 0.002f, -3f);
        var x = tf.Variable(xs);
        var w = tf.Variable(ws);
        var b = tf.Variable(bs);
        var y = tf.Variable(tf.zeros(n));
        var step = y.assign(tf.nn.relu(x * w + b));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(step.op);
        var expected = Enumerable.Range(0, n).Select(i => Math.Max(0f, xs[i] * ws[i] + bs[i])).ToArray();
        AssertValue(sess.run(y), expected, [n], 1e-5);
        // The fetched assign value is the variable's new value, and a copy the next run does not change.
        var fetched = sess.run(step);
        AssertValue(fetched, expected, [n], 1e-5);
        sess.run(y.assign(tf.negative(tf.exp(tf.zeros(n)))).op);
        AssertValue(fetched, expected, [n], 1e-5);
        AssertValue(sess.run(y), Enumerable.Repeat(-1f, n).ToArray(), [n], 1e-6);
    }

    [Test]
    public void BiasAddAndReluRunAsOnePassOverAnNhwcValue()
    {
        const int n = 2, h = 3, w = 4, c = 5;
        var xs = Range(n * h * w * c, 0.37f, -20f);
        var bs = new[] { 1f, -2f, 0.5f, 30f, -0.25f };
        var x = tf.placeholder(tf.float32, shape: (-1, h, w, c));
        var y = tf.nn.relu(tf.nn.bias_add(x, tf.Variable(bs)));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        var result = sess.run(y, (x, NumSharp.np.array(xs).reshape(n, h, w, c)));
        var expected = xs.Select((v, i) => Math.Max(0f, v + bs[i % c])).ToArray();
        AssertValue(result, expected, [n, h, w, c], 1e-6);
        Assert.That(sess.Plans.SelectMany(p => p.Steps).Any(s => s.Op.type == "BiasAdd"), Is.False, "BiasAdd runs inside the fused step");
    }

    [Test]
    public void BiasAddWithoutStaticChannelsIsNotFusedAndStillChecksTheBias()
    {
        // The bias's length is only known when fed: BiasAdd keeps its own kernel and its error.
        var x = tf.placeholder(tf.float32, shape: (-1, 3));
        var b = tf.placeholder(tf.float32, shape: new[] { -1 });
        var y = tf.nn.relu(tf.nn.bias_add(x, b));
        using var sess = tf.Session();
        AssertValue(sess.run(y, (x, new float[,] { { 1, -2, 3 } }), (b, new[] { 1f, 1f, -5f })), new[] { 2f, 0f, 0f }, [1, 3]);
        var ex = Assert.Throws<InvalidArgumentException>(() => sess.run(y, (x, new float[,] { { 1, -2, 3 } }), (b, new[] { 1f })));
        Assert.That(ex!.Message, Does.Contain("BiasAdd"));
    }

    [Test]
    public void ChainWithScalarsAndUnaryOpsMatchesHandComputation()
    {
        var x = tf.placeholder(tf.float64, shape: new[] { 4 });
        var y = tf.sqrt(tf.square(x * 2.0 - 1.0) + 3.0) / 2.0;   // one fused group: Mul, Sub, Square, AddV2, Sqrt, RealDiv
        var values = new[] { 0.5, -1.0, 2.0, 10.0 };
        var expected = values.Select(v => Math.Sqrt((v * 2 - 1) * (v * 2 - 1) + 3) / 2).ToArray();
        using var sess = tf.Session();
        AssertValue(sess.run(y, (x, values)), expected, [4], 1e-12);
        // 2 - x with the scalar on the left, and a scalar-only chain.
        AssertValue(sess.run(tf.exp(2.0 - x), (x, values)), values.Select(v => Math.Exp(2 - v)).ToArray(), [4], 1e-12);
    }

    [Test]
    public void BroadcastingChainFallsBackToTheSeparateOpsSemantics()
    {
        var x = tf.placeholder(tf.float32, shape: (-1, 3));
        var b = tf.placeholder(tf.float32, shape: new[] { 3 });
        var y = tf.nn.relu(x * 2f - b);
        using var sess = tf.Session();
        var result = sess.run(y, (x, new float[,] { { 1, 2, 3 }, { -1, 0, 5 } }), (b, new[] { 1f, 5f, 2f }));
        AssertValue(result, new[] { 1f, 0f, 4f, 0f, 0f, 8f }, [2, 3]);
    }

    [Test]
    public void IntermediateThatIsFetchedIsNotFusedAway()
    {
        var x = tf.placeholder(tf.float32, shape: new[] { 3 });
        var mid = x * 3f;
        var y = tf.nn.relu(mid - 4f);
        using var sess = tf.Session();
        var (m, r) = sess.run((mid, y), (x, new[] { 1f, 2f, 3f }));
        AssertValue(m!, new[] { 3f, 6f, 9f }, [3]);
        AssertValue(r!, new[] { 0f, 2f, 5f }, [3]);
    }

    [Test]
    public void FusedChainFeedingTwoConsumersStaysCorrect()
    {
        var x = tf.placeholder(tf.float32, shape: new[] { 2 });
        var shared = tf.exp(x);                 // two consumers: not folded into either
        var a = tf.nn.relu(shared - 2f);
        var c = shared * 10f;
        using var sess = tf.Session();
        var (ra, rc) = sess.run((a, c), (x, new[] { 0f, 1f }));
        AssertValue(ra!, new[] { 0f, MathF.Max(0, MathF.Exp(1) - 2) }, [2], 1e-6);
        AssertValue(rc!, new[] { 10f, 10 * MathF.Exp(1) }, [2], 1e-5);
    }

    [TestCase(2000, 3)]     // short rows: chunks of whole rows, the last one partial
    [TestCase(2, 3000)]     // rows longer than a chunk
    [TestCase(7, 1)]
    public void BiasRowBroadcastIsFusedAndExact(int rows, int width)
    {
        var xs = Range(rows * width, 0.37f, -400f);
        var bs = Range(width, 1.5f, -2f);
        var x = tf.placeholder(tf.float32, shape: (-1, width));
        var b = tf.Variable(bs);
        var y = tf.nn.relu(x * 0.5f + b);
        using var sess = tf.Session();
        sess.run(b.initializer);
        var flat = new float[rows, width];
        for (int r = 0; r < rows; r++) for (int c = 0; c < width; c++) flat[r, c] = xs[r * width + c];
        var expected = Enumerable.Range(0, rows * width).Select(i => Math.Max(0f, xs[i] * 0.5f + bs[i % width])).ToArray();
        AssertValue(sess.run(y, (x, flat)), expected, [rows, width], 1e-4);
    }

    [Test]
    public void OneValueLeavesOfHigherRankRaiseTheOutputsRankAsTheSeparateOpsDo()
    {
        // TensorFlow broadcasts [4] with [1, 1] to [1, 4]; a fused chain must not drop the leading 1.
        var x = tf.placeholder(tf.float32, shape: new[] { 4 });
        var y = tf.nn.relu(x * tf.constant(2f, shape: (1, 1)));
        Assert.That(y.shape.as_list(), Is.EqualTo(new[] { 1, 4 }));
        var p = tf.placeholder(tf.float32, shape: new[] { 1 });
        var z = tf.square(2f - p);   // the rank-0 constant comes first among the leaves
        var v = tf.Variable(tf.zeros((1, 4)));
        var into = v.assign(tf.nn.relu(x * tf.constant(3f, shape: (1, 1))));
        using var sess = tf.Session();
        sess.run(v.initializer);
        var xs = new[] { -1f, 0.5f, 2f, -3f };
        AssertValue(sess.run(y, (x, xs)), new[] { 0f, 1f, 4f, 0f }, [1, 4]);
        AssertValue(sess.run(z, (p, new[] { 5f })), new[] { 9f }, [1]);
        sess.run(into.op, (x, xs));
        AssertValue(sess.run(v), new[] { 0f, 1.5f, 6f, 0f }, [1, 4]);
    }

    [Test]
    public void AnOpReadingAVariablesRefIsNotFoldedIntoAChain()
    {
        // v's ref output read directly (as imported graphs may): the Mul must read v when it runs, and the assign
        // root must not lose its operand.
        var v = tf.Variable(new[] { 1f, 2f, 3f });
        var doubled = v.assign(tf.nn.relu(v.op.outputs[0] * 2f));
        using var sess = tf.Session();
        sess.run(v.initializer);
        AssertValue(sess.run(doubled), new[] { 2f, 4f, 6f }, [3]);
        AssertValue(sess.run(doubled), new[] { 4f, 8f, 12f }, [3]);
        AssertValue(sess.run(v), new[] { 4f, 8f, 12f }, [3]);
    }

    [Test]
    public void ChainsThatReuseAResultStayOnTheChunkedPathWithExactValues()
    {
        // y·y fifteen times: as a copied expression tree 2^15 leaves, far too big to compile into one loop.
        const int n = 1000;
        var xs = Range(n, 1e-8f, 0f);
        var x = tf.placeholder(tf.float32, shape: new[] { n });
        var y = x + 1f;
        for (int i = 0; i < 15; i++) y = y * y;
        using var sess = tf.Session();
        var expected = xs.Select(v => { float e = v + 1f; for (int i = 0; i < 15; i++) e *= e; return e; }).ToArray();
        AssertValue(sess.run(y, (x, xs)), expected, [n]);
        // One reuse is small enough for the register loop, and gives the same bits.
        var w = x - 0.5f;
        var square = tf.nn.relu(w * w - 0.1f);
        AssertValue(sess.run(square, (x, xs)), xs.Select(v => MathF.Max(0f, (v - 0.5f) * (v - 0.5f) - 0.1f)).ToArray(), [n]);
    }
}
