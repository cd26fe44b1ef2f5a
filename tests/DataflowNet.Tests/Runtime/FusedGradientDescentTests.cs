using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// A weight gradient's MatMul folded into its ApplyGradientDescent (w − lr·xᵀ·dy in one blocked product) gives
/// the update computed by hand, the same as the separate ops, and stands aside when the gradient is needed elsewhere.
/// </summary>
public class FusedGradientDescentTests : GraphTest
{
    [TearDown]
    public void Enable() => FusedGradientDescent.Enabled = true;

    /// <summary>The gradient MatMuls that run as steps of their own.</summary>
    private static int GradientProducts(Session sess) =>
        sess.Plans.Sum(p => p.Steps.Count(s => s.Op.type == "MatMul" && s.Op.name.StartsWith("gradients/")));

    [Test]
    public void DenseLayerStepMatchesTheUpdateComputedByHand()
    {
        // loss = Σ (x·W + b) ⊙ c, so dL/dW = xᵀ·c and W' = W − lr·xᵀ·c.
        double[,] xs = { { 1, 2, 3 }, { -1, 0.5, 2 }, { 4, -3, 0.25 }, { 0, 1, -2 } };
        double[,] w0 = { { 0.5, -1 }, { 2, 0.25 }, { -0.75, 1.5 } };
        double[,] cs = { { 1, -2 }, { 0.5, 3 }, { -1, 1 }, { 2, 0.5 } };
        const double lr = 0.25;
        var x = tf.placeholder(tf.float64, shape: (-1, 3), name: "x");
        var W = tf.Variable(w0, name: "W", dtype: tf.float64);
        var b = tf.Variable(tf.zeros(2, dtype: tf.float64), name: "b");
        var loss = tf.reduce_sum((tf.matmul(x, W) + b) * tf.constant(cs, dtype: tf.float64));
        var train = tf.train.GradientDescentOptimizer(lr).minimize(loss);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(train, (x, xs));
        Assert.That(GradientProducts(sess), Is.Zero, "the weight gradient's product runs inside the update");

        var expected = new double[3 * 2];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 2; j++)
            {
                double g = 0;
                for (int r = 0; r < 4; r++) g += xs[r, i] * cs[r, j];
                expected[i * 2 + j] = w0[i, j] - lr * g;
            }
        AssertValue(sess.run(W), expected, [3, 2], 1e-12);
        // b's gradient is Σ over rows of c: untouched by the fusion.
        AssertValue(sess.run(b), new[] { -lr * 2.5, -lr * 2.5 }, [2], 1e-12);
    }

    [Test]
    public void TwoLayerTrainingMatchesTheSeparateOps([Values] bool transposeWeights)
    {
        var fused = Train(fuse: true, transposeWeights, out int fusedProducts);
        var separate = Train(fuse: false, transposeWeights, out int separateProducts);
        // Separate: both weight gradients and the hidden layer's input gradient; fused: that last one only.
        Assert.That((fusedProducts, separateProducts), Is.EqualTo((1, 3)));
        for (int i = 0; i < fused.Length; i++)
            Assert.That(fused[i], Is.EqualTo(separate[i]).Within(1e-5).Percent.Or.EqualTo(separate[i]).Within(1e-6), $"variable {i}");
    }

    private static float[][] Train(bool fuse, bool transposeWeights, out int gradientProducts)
    {
        FusedGradientDescent.Enabled = fuse;
        var g = new Graph();
        using var _ = g.as_default();
        tf.set_random_seed(7);
        var x = tf.placeholder(tf.float32, shape: (-1, 20));
        var y = tf.placeholder(tf.float32, shape: (-1, 4));
        // transpose_b weights stored [out, in], as a user porting a [out, in] layout would write them.
        var w1 = tf.Variable(tf.truncated_normal(transposeWeights ? (16, 20) : (20, 16), stddev: 0.3f));
        var w2 = tf.Variable(tf.truncated_normal((16, 4), stddev: 0.3f));
        var h = tf.nn.relu(tf.matmul(x, w1, transpose_b: transposeWeights));
        var loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels: y, logits: tf.matmul(h, w2)));
        var train = tf.train.GradientDescentOptimizer(0.5f).minimize(loss);
        var r = new Random(3);
        var xs = new float[37, 20];
        var ys = new float[37, 4];
        for (int i = 0; i < 37; i++)
        {
            for (int j = 0; j < 20; j++) xs[i, j] = (float)(r.NextDouble() * 2 - 1);
            ys[i, r.Next(4)] = 1;
        }
        using var sess = tf.Session(g);
        sess.run(tf.global_variables_initializer());
        for (int step = 0; step < 5; step++) sess.run(train, (x, xs), (y, ys));
        gradientProducts = GradientProducts(sess);
        return [sess.run(w1).ToArray<float>(), sess.run(w2).ToArray<float>()];
    }

    [Test]
    public void FetchedGradientKeepsTheProductApartAndTheUpdateUsesIt()
    {
        var x = tf.placeholder(tf.float32, shape: (-1, 3));
        var W = tf.Variable(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } });
        var loss = tf.reduce_sum(tf.matmul(x, W));
        var opt = tf.train.GradientDescentOptimizer(0.5f);
        var grads = opt.compute_gradients(loss);
        var train = opt.apply_gradients(grads);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        var (grad, _) = sess.run((grads[0].Item1!, train), (x, new float[,] { { 1, 0, 2 }, { 0, 1, 1 } }));
        Assert.That(GradientProducts(sess), Is.EqualTo(1), "a fetched gradient is computed on its own");
        // d/dW Σ x·W = xᵀ·1: column sums of x's rows, repeated per output.
        AssertValue(grad!, new[] { 1f, 1f, 1f, 1f, 3f, 3f }, [3, 2]);
        AssertValue(sess.run(W), new[] { 0.5f, 1.5f, 2.5f, 3.5f, 3.5f, 4.5f }, [3, 2]);
    }
}
