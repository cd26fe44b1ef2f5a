using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>tf.layers: the variables each layer creates (names, shapes, initial values), their outputs, and batch normalization's two modes.</summary>
public class LayersTests(string device) : DeviceTest(device)
{
    private static Dictionary<string, Variable> Variables() => tf.global_variables().ToDictionary(v => v.name);

    private static Session Initialized()
    {
        var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        return sess;
    }

    // ---------------------------------------------------------------- dense

    [Test]
    public void DenseCreatesKernelAndBiasNamedLikeTensorFlow()
    {
        var x = tf.placeholder(tf.float32, (-1, 20));
        var h = tf.layers.dense(x, 30, activation: tf.nn.relu);
        var y = tf.layers.dense(h, 10);
        var vars = Variables();
        Assert.That(vars.Keys, Is.EqualTo(new[] { "dense/kernel:0", "dense/bias:0", "dense_1/kernel:0", "dense_1/bias:0" }));
        Assert.That(vars["dense/kernel:0"].shape.Dims, Is.EqualTo(new[] { 20, 30 }));
        Assert.That(vars["dense/bias:0"].shape.Dims, Is.EqualTo(new[] { 30 }));
        Assert.That(vars["dense_1/kernel:0"].shape.Dims, Is.EqualTo(new[] { 30, 10 }));
        Assert.That(tf.trainable_variables(), Has.Count.EqualTo(4));
        Assert.That(y.shape.Dims, Is.EqualTo(new[] { -1, 10 }));
        Assert.That(h.op.type, Is.EqualTo("Relu"));
        Assert.That(tf.get_default_graph().get_operation_by_name("dense/MatMul").type, Is.EqualTo("MatMul"));
        Assert.That(tf.get_default_graph().get_operation_by_name("dense_1/BiasAdd").type, Is.EqualTo("BiasAdd"));
    }

    [Test]
    public void DenseKernelIsGlorotUniformAndBiasZero()
    {
        tf.set_random_seed(3);
        var x = tf.placeholder(tf.float32, (-1, 200));
        tf.layers.dense(x, 100, name: "wide");
        using var sess = Initialized();
        var vars = Variables();
        var kernel = sess.run(vars["wide/kernel:0"]).ToArray<float>();
        double limit = Math.Sqrt(6.0 / (200 + 100));
        Assert.That(kernel.Max(), Is.LessThanOrEqualTo(limit).And.GreaterThan(0.98 * limit));
        Assert.That(kernel.Min(), Is.GreaterThanOrEqualTo(-limit).And.LessThan(-0.98 * limit));
        Assert.That(kernel.Average(v => (double)v), Is.EqualTo(0).Within(0.01));
        // Uniform: the variance of U(-l, l) is l²/3.
        Assert.That(kernel.Average(v => (double)v * v), Is.EqualTo(limit * limit / 3).Within(0.05 * limit * limit));
        Assert.That(sess.run(vars["wide/bias:0"]).ToArray<float>(), Is.All.EqualTo(0f));
    }

    [Test]
    public void DenseComputesActivationOfXTimesKernelPlusBias()
    {
        var x = tf.constant(new[,] { { 1.0, -2.0, 0.5 }, { 0.0, 3.0, -1.0 } }, tf.float64);
        var y = tf.layers.dense(x, 4, activation: tf.nn.relu);
        var linear = tf.layers.dense(x, 2, use_bias: false);
        Assert.That(Variables().Keys, Does.Not.Contain("dense_1/bias:0"));
        using var sess = Initialized();
        var vars = Variables();
        Assert.That(vars["dense/kernel:0"].dtype, Is.EqualTo(tf.float64), "variables take the inputs' dtype");
        sess.run(vars["dense/bias:0"].assign(tf.constant(new[] { 0.1, -0.2, 0.3, -0.4 }, tf.float64)));
        var w = sess.run(vars["dense/kernel:0"]).ToArray<double>();
        var expected = Reference.MatMul([1.0, -2.0, 0.5, 0.0, 3.0, -1.0], w, 2, 3, 4).Select((v, i) => Math.Max(0, v + new[] { 0.1, -0.2, 0.3, -0.4 }[i % 4])).ToArray();
        MathAssert.Close(sess.run(y), tf.float64, [2, 4], expected, 1e-14, 1e-15);
        var w2 = sess.run(vars["dense_1/kernel:0"]).ToArray<double>();
        MathAssert.Close(sess.run(linear), tf.float64, [2, 2], Reference.MatMul([1.0, -2.0, 0.5, 0.0, 3.0, -1.0], w2, 2, 3, 2), 1e-14, 1e-15);
    }

    [Test]
    public void DenseOnRank3InputsMultipliesAlongTheLastAxis()
    {
        var x = tf.placeholder(tf.float32, (-1, 3, 4));
        var y = tf.layers.dense(x, 5);
        Assert.That(y.shape.Dims, Is.EqualTo(new[] { -1, 3, 5 }));
        using var sess = Initialized();
        var xs = Reference.RandomFloats(2 * 3 * 4, 5);
        var w = sess.run(Variables()["dense/kernel:0"]).ToArray<float>();
        var result = sess.run(y, (x, TensorValue.Create(xs, 2, 3, 4)));
        MathAssert.Close(result, tf.float32, [2, 3, 5], Reference.MatMul(Reference.ToDouble(xs), Reference.ToDouble(w), 6, 4, 5), 1e-5, 1e-6);
    }

    [Test]
    public void DenseRejectsAnUnknownLastDimension()
    {
        Assert.That(() => tf.layers.dense(tf.placeholder(tf.float32, (-1, -1), name: "features"), 3),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("features:0"));
    }

    // ---------------------------------------------------------------- conv2d, pooling, flatten

    [Test]
    public void Conv2DLayerCreatesGlorotKernelAndBias()
    {
        tf.set_random_seed(4);
        var x = tf.placeholder(tf.float32, (-1, 28, 28, 1));
        var c1 = tf.layers.conv2d(x, 32, 5, padding: "same", activation: tf.nn.relu);
        var c2 = tf.layers.conv2d(c1, 64, (3, 2), strides: 2);
        var vars = Variables();
        Assert.That(vars.Keys, Is.EqualTo(new[] { "conv2d/kernel:0", "conv2d/bias:0", "conv2d_1/kernel:0", "conv2d_1/bias:0" }));
        Assert.That(vars["conv2d/kernel:0"].shape.Dims, Is.EqualTo(new[] { 5, 5, 1, 32 }));
        Assert.That(vars["conv2d_1/kernel:0"].shape.Dims, Is.EqualTo(new[] { 3, 2, 32, 64 }));
        Assert.That(vars["conv2d_1/bias:0"].shape.Dims, Is.EqualTo(new[] { 64 }));
        Assert.That(c1.shape.Dims, Is.EqualTo(new[] { -1, 28, 28, 32 }));
        Assert.That(c2.shape.Dims, Is.EqualTo(new[] { -1, 13, 14, 64 }), "valid: (28 - 3) / 2 + 1 = 13, (28 - 2) / 2 + 1 = 14");
        Assert.That(tf.get_default_graph().get_operation_by_name("conv2d/Conv2D").get_attr<string>("padding"), Is.EqualTo("SAME"));
        using var sess = Initialized();
        // fan_in = in_channels · receptive field, fan_out = filters · receptive field.
        foreach (var (name, fanIn, fanOut) in new[] { ("conv2d/kernel:0", 25, 32 * 25), ("conv2d_1/kernel:0", 32 * 6, 64 * 6) })
        {
            var k = sess.run(vars[name]).ToArray<float>();
            double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
            Assert.That(k.Max(), Is.LessThanOrEqualTo(limit).And.GreaterThan(0.95 * limit), name);
            Assert.That(k.Min(), Is.GreaterThanOrEqualTo(-limit).And.LessThan(-0.95 * limit), name);
        }
        Assert.That(sess.run(vars["conv2d/bias:0"]).ToArray<float>(), Is.All.EqualTo(0f));
    }

    [Test]
    public void Conv2DLayerIsConvolutionPlusBias()
    {
        var x = tf.constant(ConvReference.Random(2 * 5 * 4 * 3, 6), tf.float64, shape: new TensorShape(2, 5, 4, 3));
        var y = tf.layers.conv2d(x, 2, 3, padding: "same");
        using var sess = Initialized();
        var vars = Variables();
        sess.run(vars["conv2d/bias:0"].assign(tf.constant(new[] { 1.0, -1.0 }, tf.float64)));
        var kernel = sess.run(vars["conv2d/kernel:0"]).ToArray<double>();
        var (conv, shape) = ConvReference.Conv(ConvReference.Random(2 * 5 * 4 * 3, 6), [2, 5, 4, 3], kernel, [3, 3, 3, 2], 1, 1, 1, 1, true);
        MathAssert.Close(sess.run(y), tf.float64, shape, conv.Select((v, i) => v + (i % 2 == 0 ? 1.0 : -1.0)).ToArray(), 1e-13, 1e-14);
    }

    [Test]
    public void PoolingAndFlattenLayers()
    {
        var x = tf.placeholder(tf.float32, (-1, 7, 6, 3));
        var p = tf.layers.max_pooling2d(x, 2, 2);
        var a = tf.layers.average_pooling2d(x, (3, 2), (1, 2), padding: "same");
        Assert.That(p.shape.Dims, Is.EqualTo(new[] { -1, 3, 3, 3 }));
        Assert.That(a.shape.Dims, Is.EqualTo(new[] { -1, 7, 3, 3 }));
        Assert.That(p.op.name, Is.EqualTo("max_pooling2d/MaxPool"));
        var flat = tf.layers.flatten(p);
        Assert.That(flat.shape.Dims, Is.EqualTo(new[] { -1, 27 }));
        var dynamic = tf.layers.flatten(tf.placeholder(tf.float32, (-1, -1, 2), name: "ragged"));
        using var sess = tf.Session();
        Assert.That(sess.run(dynamic, (tf.get_default_graph().get_tensor_by_name("ragged:0"), new float[4, 5, 2])).shape, Is.EqualTo(new[] { 4, 10 }));
        var values = Enumerable.Range(0, 2 * 7 * 6 * 3).Select(v => (float)v).ToArray();
        var fed = sess.run(flat, (x, TensorValue.Create(values, 2, 7, 6, 3)));
        Assert.That(fed.shape, Is.EqualTo(new[] { 2, 27 }));
        Assert.That(() => tf.layers.conv2d(x, 4, 3, padding: "full"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("\"full\""));
    }

    // ---------------------------------------------------------------- batch normalization

    private static readonly double[] BatchValues = [1, 2, 3, 4, 5, 6, 7, 9, 11, -1, 0, 2]; // 4 rows × 3 features

    /// <summary>Per-column mean and biased variance of a rows×cols matrix.</summary>
    private static (double[] Mean, double[] Variance) Moments(double[] v, int rows, int cols)
    {
        var mean = new double[cols];
        var variance = new double[cols];
        for (int j = 0; j < cols; j++)
        {
            mean[j] = Enumerable.Range(0, rows).Average(i => v[i * cols + j]);
            variance[j] = Enumerable.Range(0, rows).Average(i => Math.Pow(v[i * cols + j] - mean[j], 2));
        }
        return (mean, variance);
    }

    [Test]
    public void BatchNormalizationVariablesAndTrainingMode()
    {
        var x = tf.constant(BatchValues, tf.float32, shape: new TensorShape(4, 3));
        var y = tf.layers.batch_normalization(x, training: true);
        var vars = Variables();
        Assert.That(vars.Keys, Is.EqualTo(new[] { "batch_normalization/gamma:0", "batch_normalization/beta:0", "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0" }));
        Assert.That(tf.trainable_variables().Select(v => v.name), Is.EqualTo(new[] { "batch_normalization/gamma:0", "batch_normalization/beta:0" }));
        var updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS);
        Assert.That(updates, Has.Count.EqualTo(2));

        var (mean, variance) = Moments(BatchValues, 4, 3);
        var expected = BatchValues.Select((v, i) => (v - mean[i % 3]) / Math.Sqrt(variance[i % 3] + 0.001)).ToArray();
        using var sess = Initialized();
        MathAssert.Close(sess.run(y), tf.float32, [4, 3], expected, 1e-5, 1e-6);
        // The output alone does not move the averages; the update ops do: moving -= (moving - batch)·0.01.
        MathAssert.Close(sess.run(vars["batch_normalization/moving_mean:0"]), tf.float32, [3], [0, 0, 0], 0);
        sess.run(tf.group(updates));
        MathAssert.Close(sess.run(vars["batch_normalization/moving_mean:0"]), tf.float32, [3], mean.Select(m => 0.01 * m).ToArray(), 1e-6, 1e-7);
        // Rank 2: TensorFlow's non-fused path learns the biased variance.
        MathAssert.Close(sess.run(vars["batch_normalization/moving_variance:0"]), tf.float32, [3], variance.Select(v => 0.99 + 0.01 * v).ToArray(), 1e-6);
        sess.run(tf.group(updates));
        MathAssert.Close(sess.run(vars["batch_normalization/moving_mean:0"]), tf.float32, [3], mean.Select(m => 0.01 * m + 0.01 * (m - 0.01 * m)).ToArray(), 1e-6, 1e-7);
    }

    [Test]
    public void BatchNormalizationInferenceUsesTheMovingAveragesAndAddsNoUpdates()
    {
        var x = tf.constant(BatchValues, tf.float64, shape: new TensorShape(4, 3));
        var y = tf.layers.batch_normalization(x, training: false, epsilon: 0.01);
        Assert.That(tf.get_collection(tf.GraphKeys.UPDATE_OPS), Is.Empty);
        using var sess = Initialized();
        var vars = Variables();
        // Initially mean 0 and variance 1: y = x / sqrt(1 + epsilon).
        MathAssert.Close(sess.run(y), tf.float64, [4, 3], BatchValues.Select(v => v / Math.Sqrt(1.01)).ToArray(), 1e-14);
        sess.run(vars["batch_normalization/moving_mean:0"].assign(tf.constant(new[] { 1.0, 2.0, 3.0 }, tf.float64)));
        sess.run(vars["batch_normalization/moving_variance:0"].assign(tf.constant(new[] { 4.0, 0.99, 0.24 }, tf.float64)));
        sess.run(vars["batch_normalization/gamma:0"].assign(tf.constant(new[] { 2.0, 1.0, 1.0 }, tf.float64)));
        sess.run(vars["batch_normalization/beta:0"].assign(tf.constant(new[] { 0.0, 0.0, 10.0 }, tf.float64)));
        double[] sd = [Math.Sqrt(4.01), 1.0, 0.5], m = [1, 2, 3], g = [2, 1, 1], b = [0, 0, 10];
        MathAssert.Close(sess.run(y), tf.float64, [4, 3], BatchValues.Select((v, i) => (v - m[i % 3]) / sd[i % 3] * g[i % 3] + b[i % 3]).ToArray(), 1e-14, 1e-14);
    }

    [Test]
    public void BatchNormalizationWithATrainingTensor()
    {
        var x = tf.placeholder(tf.float64, (-1, 3));
        var training = tf.placeholder(tf.@bool, name: "training");
        var y = tf.layers.batch_normalization(x, training: training, momentum: 0.9);
        var updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS);
        Assert.That(updates, Has.Count.EqualTo(2));
        var step = tf.group(updates);
        var data = TensorValue.Create(BatchValues, 4, 3);
        var (mean, variance) = Moments(BatchValues, 4, 3);
        using var sess = Initialized();
        var vars = Variables();
        // Inference: moving averages (0, 1), and the updates leave them alone.
        MathAssert.Close(sess.run(y, (x, data), (training, false)), tf.float64, [4, 3], BatchValues.Select(v => v / Math.Sqrt(1.001)).ToArray(), 1e-14);
        sess.run(step, (x, data), (training, false));
        MathAssert.Close(sess.run(vars["batch_normalization/moving_mean:0"]), tf.float64, [3], [0, 0, 0], 0);
        // Training: batch statistics, and the updates move the averages by 1 - momentum.
        MathAssert.Close(sess.run(y, (x, data), (training, true)), tf.float64, [4, 3],
            BatchValues.Select((v, i) => (v - mean[i % 3]) / Math.Sqrt(variance[i % 3] + 0.001)).ToArray(), 1e-13, 1e-14);
        sess.run(step, (x, data), (training, true));
        MathAssert.Close(sess.run(vars["batch_normalization/moving_mean:0"]), tf.float64, [3], mean.Select(v => 0.1 * v).ToArray(), 1e-14, 1e-15);
        MathAssert.Close(sess.run(vars["batch_normalization/moving_variance:0"]), tf.float64, [3], variance.Select(v => 0.9 + 0.1 * v).ToArray(), 1e-14);
    }

    [Test]
    public void BatchNormalizationOfFloat32ImagesLearnsTheUnbiasedVariance()
    {
        // [2, 2, 1, 2] NHWC: per channel n = 4 values; TensorFlow 1's fused kernel hands n/(n-1) times the variance to the average.
        double[] values = [1, 10, 2, 20, 4, 40, 5, 30];
        var x = tf.constant(values, tf.float32, shape: new TensorShape(2, 2, 1, 2));
        var y = tf.layers.batch_normalization(x, training: true, momentum: 0.5);
        var (mean, variance) = Moments(values, 4, 2);
        using var sess = Initialized();
        MathAssert.Close(sess.run(y), tf.float32, [2, 2, 1, 2], values.Select((v, i) => (v - mean[i % 2]) / Math.Sqrt(variance[i % 2] + 0.001)).ToArray(), 1e-5, 1e-6);
        sess.run(tf.group(tf.get_collection(tf.GraphKeys.UPDATE_OPS)));
        var vars = Variables();
        MathAssert.Close(sess.run(vars["batch_normalization/moving_mean:0"]), tf.float32, [2], mean.Select(v => 0.5 * v).ToArray(), 1e-6);
        MathAssert.Close(sess.run(vars["batch_normalization/moving_variance:0"]), tf.float32, [2], variance.Select(v => 0.5 + 0.5 * v * 4 / 3).ToArray(), 1e-6);
    }

    [Test]
    public void BatchNormalizationOverTheChannelsOfNchw()
    {
        var x = tf.placeholder(tf.float64, (-1, 2, 3, 3));
        var y = tf.layers.batch_normalization(x, axis: 1, training: true, center: false, scale: false);
        Assert.That(Variables().Keys, Is.EqualTo(new[] { "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0" }));
        var values = ConvReference.Random(2 * 2 * 9, 7);
        using var sess = Initialized();
        var result = sess.run(y, (x, TensorValue.Create(values, 2, 2, 3, 3))).ToArray<double>();
        for (int c = 0; c < 2; c++)
        {
            var channel = Enumerable.Range(0, 2).SelectMany(b => Enumerable.Range(0, 9).Select(k => result[(b * 2 + c) * 9 + k])).ToArray();
            Assert.That(channel.Average(), Is.EqualTo(0).Within(1e-12), $"channel {c} mean");
            var originalVariance = Moments(Enumerable.Range(0, 2).SelectMany(b => Enumerable.Range(0, 9).Select(k => values[(b * 2 + c) * 9 + k])).ToArray(), 18, 1).Variance[0];
            Assert.That(channel.Average(v => v * v), Is.EqualTo(originalVariance / (originalVariance + 0.001)).Within(1e-12), $"channel {c} variance");
        }
    }

    [Test]
    public void BatchNormalizationRejectsABadTrainingArgument()
    {
        var x = tf.placeholder(tf.float32, (-1, 3));
        Assert.That(() => tf.layers.batch_normalization(x, training: tf.placeholder(tf.float32, name: "flag")),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("flag:0"));
        Assert.That(() => tf.layers.batch_normalization(x, training: 1), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("bool"));
        // A constant tensor is read at build time, as TensorFlow's smart_cond does: no update ops for false.
        tf.layers.batch_normalization(x, training: tf.constant(false));
        Assert.That(tf.get_collection(tf.GraphKeys.UPDATE_OPS), Is.Empty);
    }

    [Test]
    public void NnMomentsAndBatchNormalization()
    {
        var x = tf.constant(BatchValues, tf.float64, shape: new TensorShape(4, 3));
        var (mean, variance) = tf.nn.moments(x, [0]);
        var (expectedMean, expectedVariance) = Moments(BatchValues, 4, 3);
        MathAssert.Close(Eval(mean), tf.float64, [3], expectedMean, 1e-15);
        MathAssert.Close(Eval(variance), tf.float64, [3], expectedVariance, 1e-15);
        var (keptMean, _) = tf.nn.moments(x, [0, 1], keep_dims: true);
        Assert.That(keptMean.shape.Dims, Is.EqualTo(new[] { 1, 1 }));
        var bn = tf.nn.batch_normalization(x, mean, variance, offset: tf.constant(new[] { 1.0, 2.0, 3.0 }, tf.float64), scale: 2.0, variance_epsilon: 0.5);
        MathAssert.Close(Eval(bn), tf.float64, [4, 3],
            BatchValues.Select((v, i) => (v - expectedMean[i % 3]) / Math.Sqrt(expectedVariance[i % 3] + 0.5) * 2 + (i % 3 + 1)).ToArray(), 1e-14, 1e-14);
        var plain = tf.nn.batch_normalization(x, mean, variance, null, null, 0);
        MathAssert.Close(Eval(plain), tf.float64, [4, 3], BatchValues.Select((v, i) => (v - expectedMean[i % 3]) / Math.Sqrt(expectedVariance[i % 3])).ToArray(), 1e-14, 1e-14);
    }

    [Test]
    public void MomentsGradientMatchesFiniteDifferences()
    {
        var x = tf.placeholder(tf.float64, (4, 3));
        var (_, variance) = tf.nn.moments(x, [0]);
        var err = tf.test.compute_gradient_error(x, new TensorShape(4, 3), variance, new TensorShape(3), BatchValues, 1e-5);
        Assert.That(err, Is.LessThan(1e-6));
        tf.reset_default_graph();
        var x2 = tf.placeholder(tf.float64, (4, 3));
        var y = tf.layers.batch_normalization(x2, training: true);
        Assert.That(tf.test.compute_gradient_error(x2, new TensorShape(4, 3), y, new TensorShape(4, 3), BatchValues.Select(v => v / 5).ToArray(), 1e-5), Is.LessThan(1e-6));
    }

    // ---------------------------------------------------------------- end to end

    [Test]
    public void SmallConvolutionalNetworkTrains()
    {
        tf.set_random_seed(7);
        var x = tf.placeholder(tf.float32, (-1, 6, 6, 1));
        var labels = tf.placeholder(tf.int32, -1);
        var training = tf.placeholder_with_default(false, TensorShape.Scalar);
        var h = tf.layers.conv2d(x, 4, 3, padding: "same", activation: tf.nn.relu);
        h = tf.layers.batch_normalization(h, training: training);
        h = tf.layers.max_pooling2d(h, 2, 2);
        var logits = tf.layers.dense(tf.layers.flatten(h), 2);
        var loss = tf.losses.sparse_softmax_cross_entropy(labels, logits);
        Operation train;
        using (tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)))
            train = tf.train.AdamOptimizer(0.05f).minimize(loss);
        // Class 1: a bright vertical bar; class 0: a bright horizontal bar, at random places.
        var rng = new Random(1);
        var images = new float[16, 6, 6, 1];
        var classes = new int[16];
        for (int i = 0; i < 16; i++)
        {
            classes[i] = i % 2;
            int at = rng.Next(6);
            for (int k = 0; k < 6; k++)
                if (classes[i] == 1) images[i, k, at, 0] = 1; else images[i, at, k, 0] = 1;
        }
        using var sess = Initialized();
        var feed = new FeedDict { [x] = images, [labels] = classes, [training] = true };
        float first = (float)sess.run(loss, feed);
        for (int i = 0; i < 60; i++) sess.run(train, feed);
        Assert.That((float)sess.run(loss, feed), Is.LessThan(first * 0.2f));
        var movingMean = sess.run(Variables()["batch_normalization/moving_mean:0"]).ToArray<float>();
        Assert.That(movingMean.Any(v => v != 0), "the training step ran the moving-average updates");
    }
}
