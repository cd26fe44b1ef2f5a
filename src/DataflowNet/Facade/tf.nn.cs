namespace DataflowNet;

public static partial class tf
{
    /// <summary>Neural-network ops (tf.nn).</summary>
    public static partial class nn
    {
        public static Tensor relu(TensorLike features, string? name = null) => Unary("Relu", features, name);
        public static Tensor relu6(TensorLike features, string? name = null) => Unary("Relu6", features, name);
        public static Tensor elu(TensorLike features, string? name = null) => Unary("Elu", features, name);
        public static Tensor softplus(TensorLike features, string? name = null) => Unary("Softplus", features, name);
        public static Tensor sigmoid(TensorLike x, string? name = null) => tf.sigmoid(x, name);
        public static Tensor tanh(TensorLike x, string? name = null) => tf.tanh(x, name);

        public static Tensor leaky_relu(TensorLike features, float alpha = 0.2f, string? name = null) =>
            Op("LeakyRelu", [features.ToTensor()], new() { ["alpha"] = alpha }, name);

        // One-argument overloads, so a method group converts to an activation: tf.layers.dense(x, 10, activation: tf.nn.relu).
        public static Tensor relu(Tensor features) => relu(features, null);
        public static Tensor relu6(Tensor features) => relu6(features, null);
        public static Tensor elu(Tensor features) => elu(features, null);
        public static Tensor softplus(Tensor features) => softplus(features, null);
        public static Tensor sigmoid(Tensor x) => sigmoid(x, null);
        public static Tensor tanh(Tensor x) => tanh(x, null);
        public static Tensor leaky_relu(Tensor features) => leaky_relu(features, 0.2f);
        public static Tensor softmax(Tensor logits) => softmax(logits, -1);

        /// <summary>
        /// x / √max(Σ x², <paramref name="epsilon"/>) along <paramref name="axis"/> (all axes when null), as TensorFlow
        /// composes it: unit vectors for cosine similarity and embeddings; a zero vector stays zero instead of NaN.
        /// </summary>
        public static Tensor l2_normalize(TensorLike x, int[]? axis = null, double epsilon = 1e-12, string? name = null)
        {
            var t = x.ToTensor();
            using var scope = t.graph.name_scope(name ?? "l2_normalize");
            var squareSum = reduce_sum(square(t), axis, keepdims: true);
            var inverseNorm = rsqrt(maximum(squareSum, tf.constant(epsilon, t.dtype, name: "epsilon")));
            return multiply(t, inverseNorm);
        }

        public static Tensor l2_normalize(TensorLike x, int axis, double epsilon = 1e-12, string? name = null) => l2_normalize(x, [axis], epsilon, name);

        /// <summary>Softmax along <paramref name="axis"/>; computed as exp(x - max) / sum, so large logits stay finite.</summary>
        public static Tensor softmax(TensorLike logits, int axis = -1, string? name = null) => AlongAxis("Softmax", logits, axis, name);
        public static Tensor log_softmax(TensorLike logits, int axis = -1, string? name = null) => AlongAxis("LogSoftmax", logits, axis, name);

        public static Tensor bias_add(TensorLike value, TensorLike bias, string data_format = "NHWC", string? name = null)
        {
            var (v, b) = Operands(value, bias);
            return Op("BiasAdd", [v, b], new() { ["data_format"] = data_format }, name);
        }

        /// <summary>The kernels work on the last axis; another axis is swapped there and back, as TensorFlow does.</summary>
        private static Tensor AlongAxis(string type, TensorLike logits, int axis, string? name)
        {
            var x = logits.ToTensor();
            int rank = x.shape.Rank;
            if (axis == -1 || (rank >= 0 && axis == rank - 1)) return Op(type, [x], name: name);
            if (rank < 0) throw new InvalidArgumentException($"{type} along axis {axis} needs a known rank; {x.name} has shape {x.shape}.");
            int a = ShapeUtil.NormalizeAxis(axis, rank, m => new InvalidArgumentException($"{type}: {m}"));
            var perm = Enumerable.Range(0, rank).ToArray();
            (perm[a], perm[rank - 1]) = (perm[rank - 1], perm[a]);
            return transpose(Op(type, [transpose(x, perm)]), perm, name);
        }
    }
}
