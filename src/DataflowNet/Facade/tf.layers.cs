namespace DataflowNet;

/// <summary>A height and width: one int for both, or a (height, width) pair, as TensorFlow's "int or tuple of 2 ints" arguments.</summary>
public readonly record struct Size2(int H, int W)
{
    public static implicit operator Size2(int v) => new(v, v);
    public static implicit operator Size2((int H, int W) v) => new(v.H, v.W);
}

public static partial class tf
{
    /// <summary>
    /// TensorFlow 1's layer functions (tf.layers). Each call opens a new scope named after the layer (dense, dense_1,
    /// conv2d…), so its variables read dense/kernel, dense/bias as in TensorFlow. Kernels start Glorot-uniform
    /// (uniform in ±sqrt(6 / (fan_in + fan_out))), biases at zero; variables take the inputs' dtype.
    /// </summary>
    public static class layers
    {
        /// <summary>activation(inputs · kernel + bias); inputs of rank above 2 multiply along their last axis.</summary>
        public static Tensor dense(Tensor inputs, int units, Func<Tensor, Tensor>? activation = null, bool use_bias = true, string? name = null)
        {
            var s = inputs.shape;
            if (s.IsUnknownRank || s.Rank < 2 || s[-1] < 0)
                throw new InvalidArgumentException($"dense needs inputs of rank at least 2 with a known last dimension: {inputs.name} has shape {s}.");
            if (units < 1) throw new InvalidArgumentException($"dense needs a positive number of units, got {units}.");
            using var _ = inputs.graph.as_default();
            using var scope = inputs.graph.name_scope(name ?? "dense");
            int n = s[-1];
            var kernel = Weight("kernel", () => GlorotUniform((n, units), n, units, inputs.dtype));
            var bias = use_bias ? Weight("bias", () => zeros(units, inputs.dtype)) : null;
            Tensor y;
            if (s.Rank == 2) y = matmul(inputs, kernel, name: "MatMul");
            else
            {
                // As TensorFlow's tensordot: every leading index's row times the kernel, then the leading dims put back.
                var product = matmul(reshape(inputs, (-1, n)), kernel, name: "MatMul");
                var leading = s.Dims[1..^1];
                y = Array.TrueForAll(leading, d => d >= 0)
                    ? reshape(product, new TensorShape([-1, .. leading, units]))
                    : reshape(product, concat([slice(shape(inputs), [0], [s.Rank - 1]), IntVector([units], "units")], 0));
            }
            if (bias is not null) y = nn.bias_add(y, bias, name: "BiasAdd");
            return activation is null ? y : activation(y);
        }

        /// <summary>
        /// activation(conv2d(inputs, kernel) + bias) with a kernel [kernel_size, in_channels, filters]; padding "valid" or
        /// "same", data_format "channels_last" (NHWC) or "channels_first" (NCHW).
        /// </summary>
        public static Tensor conv2d(Tensor inputs, int filters, Size2 kernel_size, Size2? strides = null, string padding = "valid",
                                    string data_format = "channels_last", Size2? dilation_rate = null, Func<Tensor, Tensor>? activation = null,
                                    bool use_bias = true, string? name = null)
        {
            var format = DataFormat(data_format);
            var s = inputs.shape;
            int channelAxis = format == "NCHW" ? 1 : 3;
            if (s.IsUnknownRank || s.Rank != 4 || s[channelAxis] < 0)
                throw new InvalidArgumentException($"conv2d needs 4-D inputs with a known channel dimension ({data_format}): {inputs.name} has shape {s}.");
            if (filters < 1) throw new InvalidArgumentException($"conv2d needs a positive number of filters, got {filters}.");
            using var _ = inputs.graph.as_default();
            using var scope = inputs.graph.name_scope(name ?? "conv2d");
            int c = s[channelAxis], kh = kernel_size.H, kw = kernel_size.W, receptive = kh * kw;
            var kernel = Weight("kernel", () => GlorotUniform((kh, kw, c, filters), c * receptive, filters * receptive, inputs.dtype));
            var bias = use_bias ? Weight("bias", () => zeros(filters, inputs.dtype)) : null;
            var (st, dil) = (strides ?? 1, dilation_rate ?? 1);
            var y = nn.conv2d(inputs, kernel, [st.H, st.W], Padding(padding), format, [dil.H, dil.W], name: "Conv2D");
            if (bias is not null) y = nn.bias_add(y, bias, format, name: "BiasAdd");
            return activation is null ? y : activation(y);
        }

        /// <summary>The maximum over each pool_size window, moved by strides; padding "valid" or "same".</summary>
        public static Tensor max_pooling2d(Tensor inputs, Size2 pool_size, Size2 strides, string padding = "valid", string data_format = "channels_last", string? name = null) =>
            Pooling("MaxPool", name ?? "max_pooling2d", inputs, pool_size, strides, padding, data_format);

        /// <summary>The mean over each pool_size window (SAME windows at the border average only what they cover).</summary>
        public static Tensor average_pooling2d(Tensor inputs, Size2 pool_size, Size2 strides, string padding = "valid", string data_format = "channels_last", string? name = null) =>
            Pooling("AvgPool", name ?? "average_pooling2d", inputs, pool_size, strides, padding, data_format);

        private static Tensor Pooling(string type, string name, Tensor inputs, Size2 pool, Size2 strides, string padding, string data_format)
        {
            var format = DataFormat(data_format);
            using var _ = inputs.graph.as_default();
            using var scope = inputs.graph.name_scope(name);
            int[] ksize = [pool.H, pool.W], st = [strides.H, strides.W];
            return type == "MaxPool"
                ? nn.max_pool(inputs, ksize, st, Padding(padding), format, name: type)
                : nn.avg_pool(inputs, ksize, st, Padding(padding), format, name: type);
        }

        /// <summary>[batch, everything else]: the product of the other dims when they are known, else computed at run time.</summary>
        public static Tensor flatten(Tensor inputs, string? name = null)
        {
            var s = inputs.shape;
            if (s.IsUnknownRank || s.Rank < 1)
                throw new InvalidArgumentException($"flatten needs inputs of known rank at least 1: {inputs.name} has shape {s}.");
            using var _ = inputs.graph.as_default();
            using var scope = inputs.graph.name_scope(name ?? "flatten");
            var rest = s.Dims[1..];
            if (Array.TrueForAll(rest, d => d >= 0))
                return reshape(inputs, (-1, rest.Aggregate(1, (p, d) => p * d)), name: "Reshape");
            return reshape(inputs, concat([slice(shape(inputs), [0], [1]), IntVector([-1], "minus_one")], 0), name: "Reshape");
        }

        /// <summary>
        /// Batch normalization over every axis but <paramref name="axis"/>, with variables gamma (ones) and beta (zeros),
        /// and non-trainable moving_mean (zeros) and moving_variance (ones). <paramref name="training"/> (false by
        /// default) is a bool or a bool tensor. Training normalizes with the batch's mean and (biased) variance and
        /// adds to tf.GraphKeys.UPDATE_OPS the updates moving -= (moving - batch)·(1 - momentum), which the caller runs
        /// (with tf.control_dependencies around the train op, as in TensorFlow 1); inference normalizes with the
        /// moving averages and adds no update. As TensorFlow 1.15's layer, which takes its fused kernel for float32
        /// 4-D inputs normalized over axis 1 or 3, the moving variance of that case learns the unbiased batch variance
        /// (times n / (n - 1), n the count per channel); every other case learns the biased one.
        /// </summary>
        public static Tensor batch_normalization(Tensor inputs, int axis = -1, double momentum = 0.99, double epsilon = 0.001, bool center = true,
                                                 bool scale = true, TensorLike? training = null, bool trainable = true, string? name = null)
        {
            var s = inputs.shape;
            var dt = inputs.dtype;
            if (s.IsUnknownRank || s.Rank < 1) throw new InvalidArgumentException($"batch_normalization needs inputs of known rank: {inputs.name} has shape {s}.");
            int rank = s.Rank, a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank) throw new InvalidArgumentException($"batch_normalization: axis {axis} is out of range for {inputs.name} of shape {s}.");
            int channels = s.Dims[a];
            if (channels < 0) throw new InvalidArgumentException($"batch_normalization needs the size of axis {axis} to be known: {inputs.name} has shape {s}.");
            if (!dt.IsFloating()) throw new InvalidArgumentException($"batch_normalization needs float32 or float64 inputs, but {inputs.name} is {dt.Name()}.");
            var (isTraining, trainingTensor) = Training(training);

            using var _ = inputs.graph.as_default();
            using var scope = inputs.graph.name_scope(name ?? "batch_normalization");
            var gamma = scale ? Weight("gamma", () => ones(channels, dt), trainable) : null;
            var beta = center ? Weight("beta", () => zeros(channels, dt), trainable) : null;
            var movingMean = Weight("moving_mean", () => zeros(channels, dt), trainable: false);
            var movingVariance = Weight("moving_variance", () => ones(channels, dt), trainable: false);

            // The [channels] statistics broadcast along the last axis as they are; along another axis they are reshaped.
            var broadcast = Enumerable.Range(0, rank).Select(i => i == a ? channels : 1).ToArray();
            Tensor Along(Tensor t) => a == rank - 1 ? t : reshape(t, broadcast);
            Tensor Normalize(Tensor mean, Tensor variance) => nn.batch_normalization(inputs, Along(mean), Along(variance),
                beta is null ? (TensorLike?)null : Along(beta), gamma is null ? (TensorLike?)null : Along(gamma), epsilon);

            if (isTraining == false) return Normalize(movingMean, movingVariance);

            var (batchMean, batchVariance) = nn.moments(inputs, Enumerable.Range(0, rank).Where(i => i != a).ToArray());
            var output = trainingTensor is null
                ? Normalize(batchMean, batchVariance)
                : Normalize(where(trainingTensor, batchMean, movingMean), where(trainingTensor, batchVariance, movingVariance));

            var learnedVariance = batchVariance;
            if (dt == DataType.Float32 && rank == 4 && (a == 1 || a == 3))
            {
                var n = cast(size(inputs), dt) / (double)channels;
                learnedVariance = batchVariance * (n / maximum(n - 1.0, 1.0));
            }
            // A training tensor that is false at run time makes the decay 0: the update leaves the averages as they are.
            var decay = trainingTensor is null
                ? constant(1.0 - momentum, dt, name: "decay")
                : where(trainingTensor, constant(1.0 - momentum, dt, name: "decay"), constant(0.0, dt, name: "no_decay"));
            Operation Update(Variable moving, Tensor value)
            {
                using var update = moving.graph.name_scope("AssignMovingAvg");
                return moving.assign_sub((moving - value) * decay, name: update.Name).op;
            }
            inputs.graph.add_to_collection(GraphKeys.UPDATE_OPS, Update(movingMean, batchMean));
            inputs.graph.add_to_collection(GraphKeys.UPDATE_OPS, Update(movingVariance, learnedVariance));
            return output;
        }

        /// <summary>training as TensorFlow's smart_cond reads it: a value known at build time, or a bool tensor decided at run time.</summary>
        private static (bool? Known, Tensor? AtRunTime) Training(TensorLike? training)
        {
            if (training is null) return (false, null);
            var t = training.Value;
            if (!t.IsTensor)
                return t.Value is bool b ? (b, null) : throw new InvalidArgumentException($"training must be a bool or a bool tensor, got {t.Value ?? "null"}.");
            var tensor = t.Tensor!;
            if (tensor.dtype != DataType.Bool) throw new InvalidArgumentException($"training must be a bool tensor, but {tensor.name} is {tensor.dtype.Name()}.");
            var known = ConstantFolding.TryEvaluate(tensor);
            return known is not null ? (known.item<bool>(), null) : (null, tensor);
        }

        /// <summary>A variable of the current layer scope, its initial value built outside any control_dependencies.</summary>
        private static Variable Weight(string name, Func<Tensor> initial, bool trainable = true)
        {
            Tensor value;
            using (DataflowNet.Graph.Default.control_dependencies(null)) value = initial();
            return Variable(value, trainable: trainable, name: name);
        }

        /// <summary>Glorot (Xavier) uniform: uniform in ±sqrt(6 / (fan_in + fan_out)).</summary>
        internal static Tensor GlorotUniform(TensorShape shape, int fanIn, int fanOut, DataType dtype)
        {
            var limit = (float)Math.Sqrt(6.0 / (fanIn + fanOut));
            return random_uniform(shape, -limit, limit, dtype);
        }

        private static string Padding(string padding) => padding.ToLowerInvariant() switch
        {
            "valid" => "VALID",
            "same" => "SAME",
            _ => throw new InvalidArgumentException($"padding must be \"valid\" or \"same\", got \"{padding}\"."),
        };

        private static string DataFormat(string format) => format switch
        {
            "channels_last" => "NHWC",
            "channels_first" => "NCHW",
            _ => throw new InvalidArgumentException($"data_format must be \"channels_last\" or \"channels_first\", got \"{format}\"."),
        };
    }
}
