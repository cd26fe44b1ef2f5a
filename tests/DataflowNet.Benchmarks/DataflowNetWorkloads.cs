using NumSharp;

namespace DataflowNet.Benchmarks;

/// <summary>The DataflowNet side of each workload, written as a user writes TensorFlow 1 graphs with the tf facade.</summary>
public static class DataflowNetWorkloads
{
    /// <summary>
    /// Fetches tf.matmul of two [n, n] float32 variables and disposes the result, as the peer disposes its own
    /// (the buffer goes back to the session for the next run instead of to the garbage collector).
    /// </summary>
    public static IBench MatMul(int n)
    {
        var g = new Graph();
        Tensor c;
        Operation init;
        using (g.as_default())
        {
            tf.set_random_seed(1);
            var a = tf.Variable(tf.random_normal((n, n)), name: "a");
            var b = tf.Variable(tf.random_normal((n, n)), name: "b");
            c = tf.matmul(a, b);
            init = tf.global_variables_initializer();
        }
        var sess = tf.Session(g);
        sess.run(init);
        return new ActionBench(() => { using var result = sess.run(c); }, sess.Dispose);
    }

    /// <summary>
    /// One training step of a 784-512-512-10 MLP (ReLU hidden layers, softmax cross-entropy, plain SGD at 0.01), batch
    /// 128, fed NumSharp NDArray batches through placeholders with one FeedDict reused across steps.
    /// </summary>
    public sealed class Mlp : IBench
    {
        public const int Batch = 128, Inputs = 784, Hidden = 512, Classes = 10;
        private readonly Session _sess;
        private readonly Operation _train;
        private readonly Tensor _x, _y;
        private readonly FeedDict _feed = new();
        [NDBorrowed] private readonly MlpData _data;
        private int _next;

        public Mlp(MlpData data)
        {
            _data = data;
            var g = new Graph();
            using (g.as_default())
            {
                tf.set_random_seed(1);
                _x = tf.placeholder(tf.float32, shape: (-1, Inputs), name: "x");
                _y = tf.placeholder(tf.float32, shape: (-1, Classes), name: "y");
                var h1 = tf.nn.relu(Dense(_x, Inputs, Hidden, "hidden1"));
                var h2 = tf.nn.relu(Dense(h1, Hidden, Hidden, "hidden2"));
                var logits = Dense(h2, Hidden, Classes, "output");
                var loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels: _y, logits: logits));
                _train = tf.train.GradientDescentOptimizer(0.01f).minimize(loss);
                _sess = tf.Session(g);
                _sess.run(tf.global_variables_initializer());
            }
        }

        private static Tensor Dense(Tensor input, int nIn, int nOut, string name)
        {
            using var scope = tf.name_scope(name);
            var w = tf.Variable(tf.truncated_normal((nIn, nOut), stddev: MathF.Sqrt(2f / nIn)), name: "weights");
            var b = tf.Variable(tf.zeros(nOut), name: "biases");
            return tf.matmul(input, w) + b;
        }

        public void Step()
        {
            int i = _next++ % MlpData.Count;
            _feed[_x] = _data.Images[i];
            _feed[_y] = _data.Labels[i];
            _sess.run(_train, _feed);
        }

        public void Dispose() => _sess.Dispose();
    }

    /// <summary>
    /// One training step of the CNN of TensorFlow's "Deep MNIST for experts": 28x28x1 NHWC images, conv 5x5x32 SAME +
    /// bias + ReLU, max-pool 2x2 stride 2 SAME, conv 5x5x64 SAME + bias + ReLU, max-pool 2x2, dense 7*7*64 -> 1024 + ReLU,
    /// dense 1024 -> 10, mean softmax cross-entropy, batch 64. The tutorial's initialisation (truncated normal, stddev
    /// 0.1; biases 0.1). Differences, so both sides do the same work: plain SGD at 0.01 (the tutorial uses Adam at 1e-4),
    /// and no dropout (the tutorial's keep_prob 0.5 layer is left out of the timed step). Like the tutorial, x is fed as
    /// [batch, 784] and reshaped to [batch, 28, 28, 1]; NumSharp NDArray batches go through one reused FeedDict.
    /// </summary>
    public sealed class Cnn : IBench
    {
        public const int Batch = 64, Side = 28, Pixels = Side * Side, Classes = 10, Conv1 = 32, Conv2 = 64, Hidden = 1024;
        public const int Flat = Side / 4 * (Side / 4) * Conv2;
        private readonly Session _sess;
        private readonly Operation _train;
        private readonly Tensor _x, _y;
        private readonly FeedDict _feed = new();
        [NDBorrowed] private readonly MlpData _data;
        private int _next;

        public Cnn(MlpData data)
        {
            _data = data;
            var g = new Graph();
            using (g.as_default())
            {
                tf.set_random_seed(1);
                _x = tf.placeholder(tf.float32, shape: (-1, Pixels), name: "x");
                _y = tf.placeholder(tf.float32, shape: (-1, Classes), name: "y");
                var image = tf.reshape(_x, new TensorShape(-1, Side, Side, 1));
                var h1 = MaxPool2x2(tf.nn.relu(Conv(image, 1, Conv1, "conv1")));
                var h2 = MaxPool2x2(tf.nn.relu(Conv(h1, Conv1, Conv2, "conv2")));
                var flat = tf.reshape(h2, new TensorShape(-1, Flat));
                var fc1 = tf.nn.relu(Dense(flat, Flat, Hidden, "fc1"));
                var logits = Dense(fc1, Hidden, Classes, "fc2");
                var loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels: _y, logits: logits));
                _train = tf.train.GradientDescentOptimizer(0.01f).minimize(loss);
                _sess = tf.Session(g);
                _sess.run(tf.global_variables_initializer());
            }
        }

        private static Tensor Conv(Tensor input, int inChannels, int outChannels, string name)
        {
            using var scope = tf.name_scope(name);
            var w = tf.Variable(tf.truncated_normal((5, 5, inChannels, outChannels), stddev: 0.1f), name: "weights");
            var b = tf.Variable(tf.constant(0.1f, shape: outChannels), name: "biases");
            return tf.nn.bias_add(tf.nn.conv2d(input, w, strides: [1, 1, 1, 1], padding: "SAME"), b);
        }

        private static Tensor MaxPool2x2(Tensor x) => tf.nn.max_pool(x, ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: "SAME");

        private static Tensor Dense(Tensor input, int nIn, int nOut, string name)
        {
            using var scope = tf.name_scope(name);
            var w = tf.Variable(tf.truncated_normal((nIn, nOut), stddev: 0.1f), name: "weights");
            var b = tf.Variable(tf.constant(0.1f, shape: nOut), name: "biases");
            return tf.matmul(input, w) + b;
        }

        public void Step()
        {
            int i = _next++ % MlpData.Count;
            _feed[_x] = _data.Images[i];
            _feed[_y] = _data.Labels[i];
            _sess.run(_train, _feed);
        }

        public void Dispose() => _sess.Dispose();
    }

    /// <summary>A chain of <paramref name="ops"/> adds on a fed 1-element placeholder, run as one graph, fetching the last.</summary>
    public static IBench AddChain(int ops)
    {
        var g = new Graph();
        Tensor p, t;
        using (g.as_default())
        {
            p = tf.placeholder(tf.float32, shape: 1, name: "p");
            t = p;
            for (int i = 0; i < ops; i++) t = t + p;
        }
        var sess = tf.Session(g);
        var feed = new FeedDict { [p] = new[] { 1f } };
        return new ActionBench(() => sess.run(t, feed), sess.Dispose);
    }

    /// <summary>y.assign(relu(x * w + b)) over <paramref name="n"/> floats held in variables; fetches the assign's op.</summary>
    public static IBench ReluAffine(int n)
    {
        var g = new Graph();
        Operation step, init;
        using (g.as_default())
        {
            tf.set_random_seed(1);
            var x = tf.Variable(tf.random_normal(n), name: "x");
            var w = tf.Variable(tf.random_normal(n), name: "w");
            var b = tf.Variable(tf.random_normal(n), name: "b");
            var y = tf.Variable(tf.zeros(n), name: "y");
            step = y.assign(tf.nn.relu(x * w + b)).op;
            init = tf.global_variables_initializer();
        }
        var sess = tf.Session(g);
        sess.run(init);
        return new ActionBench(() => sess.run(step), sess.Dispose);
    }
}

/// <summary>A few random MNIST-like batches (pixels in [0, 1), one-hot labels), as NDArrays and as plain arrays for the peer.</summary>
public sealed class MlpData : IDisposable
{
    public const int Count = 8;
    public NDArray[] Images { get; } = new NDArray[Count];
    public NDArray[] Labels { get; } = new NDArray[Count];
    public float[][] ImageArrays { get; } = new float[Count][];
    public float[][] LabelArrays { get; } = new float[Count][];

    public MlpData(int batch, int inputs, int classes, int seed = 1)
    {
        var rng = new Random(seed);
        for (int i = 0; i < Count; i++)
        {
            var x = new float[batch * inputs];
            for (int j = 0; j < x.Length; j++) x[j] = rng.NextSingle();
            var y = new float[batch * classes];
            for (int r = 0; r < batch; r++) y[r * classes + rng.Next(classes)] = 1f;
            ImageArrays[i] = x;
            LabelArrays[i] = y;
            Images[i] = np.array(x).reshape(batch, inputs);
            Labels[i] = np.array(y).reshape(batch, classes);
        }
    }

    public void Dispose()
    {
        foreach (var a in Images.Concat(Labels)) a.Dispose();
    }
}
