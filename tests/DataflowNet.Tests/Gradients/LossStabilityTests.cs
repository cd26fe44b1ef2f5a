using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests.Gradients;

/// <summary>The fused losses on logits of ±1e4 (float32): finite losses and gradients, with values worked out by hand.</summary>
public class LossStabilityTests(string device) : DeviceTest(device)
{
    private static void AssertFinite(TensorValue v, string what) =>
        Assert.That(v.ToArray<float>().All(float.IsFinite), Is.True, $"{what} is finite: [{string.Join(", ", v.ToArray<float>())}]");

    // Rows of logits; the row maximum dominates, so log-sum-exp = max exactly in float32.
    // row 0 [1e4, -1e4, 0] label 1: loss = lse - z1 = 1e4 + 1e4 = 2e4; softmax = [1, 0, 0]
    // row 1 [-1e4, 1e4, 0] label 1: loss = 1e4 - 1e4 = 0;           softmax = [0, 1, 0]
    // row 2 [0, -1e4, -1e4] label 2: loss = 0 + 1e4 = 1e4;          softmax = [1, 0, 0]
    private static readonly float[,] Logits = { { 1e4f, -1e4f, 0f }, { -1e4f, 1e4f, 0f }, { 0f, -1e4f, -1e4f } };
    private static readonly int[] Classes = [1, 1, 2];
    private static readonly float[] ExpectedLoss = [2e4f, 0f, 1e4f];
    // d loss / d logits = softmax - onehot
    private static readonly float[] ExpectedGrad = [1f, -1f, 0f, 0f, 0f, 0f, 1f, 0f, -1f];

    [Test]
    public void SoftmaxCrossEntropyWithLogits()
    {
        var logits = tf.constant(Logits);
        var onehot = tf.one_hot(tf.constant(Classes), 3);
        var loss = tf.nn.softmax_cross_entropy_with_logits(onehot, logits);
        var g = tf.gradients(tf.reduce_sum(loss), logits)[0]!;
        var lossV2 = tf.nn.softmax_cross_entropy_with_logits_v2(onehot, logits);
        var gv2 = tf.gradients(tf.reduce_sum(lossV2), new[] { logits, onehot });
        using var sess = tf.Session();
        var l = sess.run(loss);
        AssertFinite(l, "loss");
        AssertValue(l, ExpectedLoss, [3], 1e-3);
        var gl = sess.run(g);
        AssertFinite(gl, "gradient");
        AssertValue(gl, ExpectedGrad, [3, 3], 1e-6);
        AssertValue(sess.run(lossV2), ExpectedLoss, [3], 1e-3);
        AssertValue(sess.run(gv2[0]!), ExpectedGrad, [3, 3], 1e-6);
        // The labels' gradient is -log_softmax(logits): row 0 [0, 2e4, 1e4], row 1 [2e4, 0, 1e4], row 2 [0, 1e4, 1e4].
        var glabels = sess.run(gv2[1]!);
        AssertFinite(glabels, "labels gradient");
        AssertValue(glabels, new[] { 0f, 2e4f, 1e4f, 2e4f, 0f, 1e4f, 0f, 1e4f, 1e4f }, [3, 3], 1e-3);
    }

    [Test]
    public void SparseSoftmaxCrossEntropyWithLogits()
    {
        var logits = tf.constant(Logits);
        var loss = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(Classes), logits);
        var g = tf.gradients(tf.reduce_sum(loss), logits)[0]!;
        using var sess = tf.Session();
        var l = sess.run(loss);
        AssertFinite(l, "loss");
        AssertValue(l, ExpectedLoss, [3], 1e-3);
        var gl = sess.run(g);
        AssertFinite(gl, "gradient");
        AssertValue(gl, ExpectedGrad, [3, 3], 1e-6);
    }

    [Test]
    public void SigmoidCrossEntropyWithLogits()
    {
        // max(x, 0) - x·z + log(1 + e^-|x|), and d/dx = sigmoid(x) - z:
        // x = 1e4, z = 0: loss 1e4, grad 1;  x = 1e4, z = 1: loss 0, grad 0
        // x = -1e4, z = 1: loss 1e4, grad -1; x = -1e4, z = 0: loss 0, grad 0
        // x = 0: loss ln 2 and grad σ(0) − z = 0.5 − z, as TensorFlow (below)
        var logits = tf.constant(new[] { 1e4f, 1e4f, -1e4f, -1e4f });
        var labels = tf.constant(new[] { 0f, 1f, 1f, 0f });
        var loss = tf.nn.sigmoid_cross_entropy_with_logits(labels, logits);
        var g = tf.gradients(tf.reduce_sum(loss), new[] { logits, labels });
        using var sess = tf.Session();
        var l = sess.run(loss);
        AssertFinite(l, "loss");
        AssertValue(l, new[] { 1e4f, 0f, 1e4f, 0f }, [4], 1e-3);
        var gl = sess.run(g[0]!);
        AssertFinite(gl, "logits gradient");
        AssertValue(gl, new[] { 1f, 0f, -1f, 0f }, [4], 1e-6);
        // d/dz = -x
        var gz = sess.run(g[1]!);
        AssertFinite(gz, "labels gradient");
        AssertValue(gz, new[] { -1e4f, -1e4f, 1e4f, 1e4f }, [4], 1e-3);
        // And a logit of 0: loss ln 2.
        var zero = tf.nn.sigmoid_cross_entropy_with_logits(tf.constant(new[] { 0.5f }), tf.constant(new[] { 0f }));
        AssertValue(sess.run(zero), new[] { (float)Math.Log(2) }, [1], 1e-6);
        // The gradient at a logit of exactly 0 (every zero-initialised logistic model's first step): 0.5 − z.
        var atZero = tf.zeros(new TensorShape(3));
        var kink = tf.gradients(tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(tf.constant(new[] { 0f, 1f, 0.25f }), atZero)), atZero)[0]!;
        AssertValue(sess.run(kink), new[] { 0.5f, -0.5f, 0.25f }, [3], 1e-7);
    }

    [Test]
    public void TrainingOnHugeLogitsStaysFinite()
    {
        // One gradient-descent step on the logits themselves: the update is finite and moves by lr·(softmax - onehot).
        var z = tf.Variable(Logits, name: "z");
        var loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(Classes), z));
        var train = tf.train.GradientDescentOptimizer(1f).minimize(loss);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(train);
        var after = sess.run(z);
        AssertFinite(after, "logits after a step");
        var expected = new float[9];
        for (int i = 0; i < 9; i++) expected[i] = Logits[i / 3, i % 3] - ExpectedGrad[i];
        AssertValue(after, expected, [3, 3], 1e-3);
    }

    [Test]
    public void LossesOfLargeLogitsKeepTheirSmallValues()
    {
        // Logits [1000, 990], label 0: loss = log(1 + e^-10) = 4.5398899e-5. Computed as log Σ e^x − x it cancels
        // two values near 1000 whose float32 spacing is 6e-5, and came out about 6.1e-5.
        var logits = tf.constant(new float[,] { { 1000f, 990f }, { 1e4f, 1e4f - 10f } });
        double expected = Math.Log(1 + Math.Exp(-10));
        var dense = tf.nn.softmax_cross_entropy_with_logits_v2(tf.one_hot(tf.constant(new[] { 0, 0 }), 2), logits);
        var sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(new[] { 0, 0 }), logits);
        using var sess = tf.Session();
        foreach (var loss in new[] { sess.run(dense), sess.run(sparse) })
            Assert.That(loss.ToArray<float>().Select(v => (double)v), Is.All.EqualTo(expected).Within(0.5).Percent);
    }

    [Test]
    public void MeanSquaredErrorDividesByTheNonZeroWeights()
    {
        // TF 1's SUM_BY_NONZERO_WEIGHTS: Σ w·(p − l)² / #(w ≠ 0) = (1 + 9) / 2 = 5 (a plain mean would give 2.5).
        var labels = tf.constant(new[] { 1f, 2f, 3f, 4f });
        var zeros = tf.constant(new[] { 0f, 0f, 0f, 0f });
        using var sess = tf.Session();
        AssertValue(sess.run(tf.losses.mean_squared_error(labels, zeros, weights: tf.constant(new[] { 1f, 0f, 1f, 0f }))), new[] { 5f }, []);
        // Weights of a row each: [[2], [0]] over [2, 2] losses: (2·(1 + 4)) / 2 present = 5.
        var l2 = tf.constant(new[,] { { 1f, 2f }, { 3f, 4f } });
        AssertValue(sess.run(tf.losses.mean_squared_error(l2, tf.zeros_like(l2), weights: tf.constant(new[,] { { 2f }, { 0f } }))), new[] { 5f }, []);
        AssertValue(sess.run(tf.losses.mean_squared_error(labels, zeros, weights: 0.5f)), new[] { 3.75f }, [], 1e-6); // 0.5·30/4
        AssertValue(sess.run(tf.losses.mean_squared_error(labels, zeros, weights: tf.zeros_like(labels))), new[] { 0f }, []);
        AssertValue(sess.run(tf.losses.mean_squared_error(labels, zeros)), new[] { 7.5f }, []);
        // Weights that would enlarge the losses' shape are refused, as TensorFlow's ValueError.
        Assert.Throws<InvalidArgumentException>(() => tf.losses.mean_squared_error(labels, zeros, weights: tf.constant(new[,] { { 1f }, { 1f } })));
    }

    [Test]
    public void SoftmaxCrossEntropyLossStopsTheLabelsGradient()
    {
        var teacher = tf.placeholder(tf.float32, shape: (-1, 3));
        var loss = tf.losses.softmax_cross_entropy(tf.nn.softmax(teacher), tf.constant(new[,] { { 0.5f, 0.1f, -0.3f } }));
        Assert.That(tf.gradients(loss, teacher)[0], Is.Null, "TF 1 wraps the labels in stop_gradient");
    }

    [Test]
    public void CrossEntropiesOfHigherRankLogitsWorkRowByRow()
    {
        // [2, 3, 4] logits (a sequence model's batch × time × classes): each [classes] row is its own example.
        var r = new Random(5);
        var logits = new float[2, 3, 4];
        var onehot = new float[2, 3, 4];
        var ids = new int[2, 3];
        for (int i = 0; i < 2; i++)
            for (int t = 0; t < 3; t++)
            {
                for (int c = 0; c < 4; c++) logits[i, t, c] = (float)(r.NextDouble() * 4 - 2);
                ids[i, t] = r.Next(4);
                onehot[i, t, ids[i, t]] = 1;
            }
        var expected = new float[6];
        for (int i = 0; i < 2; i++)
            for (int t = 0; t < 3; t++)
            {
                double max = Enumerable.Range(0, 4).Max(c => logits[i, t, c]);
                double lse = max + Math.Log(Enumerable.Range(0, 4).Sum(c => Math.Exp(logits[i, t, c] - max)));
                expected[i * 3 + t] = (float)(lse - logits[i, t, ids[i, t]]);
            }
        using var sess = tf.Session();
        var sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(ids), tf.constant(logits));
        Assert.That(sparse.shape, Is.EqualTo(new TensorShape(2, 3)));
        AssertValue(sess.run(sparse), expected, [2, 3], 1e-5);
        var dense = tf.nn.softmax_cross_entropy_with_logits_v2(tf.constant(onehot), tf.constant(logits));
        AssertValue(sess.run(dense), expected, [2, 3], 1e-5);
        // The class axis first: the same values from the transposed tensors, over axis 0.
        var lt = tf.transpose(tf.constant(logits), new[] { 2, 0, 1 });
        var ot = tf.transpose(tf.constant(onehot), new[] { 2, 0, 1 });
        AssertValue(sess.run(tf.nn.softmax_cross_entropy_with_logits_v2(ot, lt, axis: 0)), expected, [2, 3], 1e-5);
    }

    [Test]
    public void InTopKIsFalseForARowWithAnyNonFinitePrediction()
    {
        // TensorFlow's kernel cannot say for a row holding NaN or ±inf anywhere.
        var p = tf.constant(new[,] { { float.NegativeInfinity, 2f, 1f }, { float.NaN, 2f, 1f }, { 0f, 2f, 1f }, { 3f, 2f, 1f } });
        AssertValue(Eval(tf.nn.in_top_k(p, tf.constant(new[] { 1, 1, 1, 1 }), 1)), new[] { false, false, true, false }, [4]);
    }
}
