namespace DataflowNet;

/// <summary>Gradients of the activations, softmax, bias_add and the losses.</summary>
internal static class NnGrad
{
    public static GradientFunction Of(string type) => type switch
    {
        // From the output, as TensorFlow: relu(x) > 0 exactly where x > 0, and the pre-activation then has one consumer (it can fuse).
        "Relu" => (op, g) => [tf.Op("ReluGrad", [g[0], op.outputs[0]])],
        "Relu6" => (op, g) => [tf.Op("Relu6Grad", [g[0], op.outputs[0]])],
        "Elu" => (op, g) => [tf.Op("EluGrad", [g[0], op.outputs[0]])],
        "Softplus" => (op, g) => [tf.Op("SoftplusGrad", [g[0], op.inputs[0]])],
        "LeakyRelu" => (op, g) => [tf.Op("LeakyReluGrad", [g[0], op.inputs[0]], new() { ["alpha"] = op.get_attr<float>("alpha") })],
        // (g - sum(g * y)) * y, row by row.
        "Softmax" => (op, g) =>
        {
            var y = op.outputs[0];
            return [(g[0] - tf.reduce_sum(g[0] * y, -1, keepdims: true)) * y];
        },
        "LogSoftmax" => (op, g) => [g[0] - tf.exp(op.outputs[0]) * tf.reduce_sum(g[0], -1, keepdims: true)],
        "BiasAdd" => (op, g) => [g[0], tf.Op("BiasAddGrad", [g[0]], new() { ["data_format"] = op.get_attr<string>("data_format") })],
        _ => Gradients.None,
    };

    /// <summary>
    /// The kernel already computed softmax − labels (the backprop output); scale it by each row's loss gradient. When
    /// a gradient reaches the backprop output too (a second derivative: differentiating the first gradient), add its
    /// term through softmax, (gg − Σ gg·softmax)·softmax, as TensorFlow does.
    /// </summary>
    public static Tensor?[] SoftmaxCrossEntropyWithLogits(Operation op, Tensor[] g)
    {
        var perRow = tf.expand_dims(g[0], -1);
        var logits = op.inputs[0];
        var grad = perRow * op.outputs[1];
        if (!Gradients.IsUnreached(g[1]))
        {
            var softmax = tf.nn.softmax(logits);
            grad += (g[1] - tf.reduce_sum(g[1] * softmax, -1, keepdims: true)) * softmax;
        }
        return [grad, perRow * tf.negative(tf.nn.log_softmax(logits))];
    }

    /// <summary>As TensorFlow, which disables the second derivative of the sparse op rather than return a wrong one.</summary>
    public static Tensor?[] SparseSoftmaxCrossEntropyWithLogits(Operation op, Tensor[] g)
    {
        if (!Gradients.IsUnreached(g[1]))
            throw new UnimplementedException(
                $"Gradient explicitly disabled for the backprop output of {op.Describe()}: there is no way to take the second derivative of " +
                "sparse_softmax_cross_entropy_with_logits through its fused implementation (as in TensorFlow). Use softmax_cross_entropy_with_logits_v2 with one-hot labels.") { Op = op };
        return [tf.expand_dims(g[0], -1) * op.outputs[1], null];
    }

    /// <summary>BiasAddGrad sums over every axis but the channel; its gradient broadcasts back along that axis.</summary>
    public static Tensor?[] BiasAddGrad(Operation op, Tensor[] g)
    {
        var dy = op.inputs[0];
        var grad = g[0];
        if (op.get_attr<string>("data_format") == "NCHW")
        {
            if (dy.shape.IsUnknownRank)
                throw new UnimplementedException($"The gradient of {op.Describe()} (NCHW) needs the input's rank.");
            var dims = Enumerable.Repeat(1, dy.shape.Rank).ToArray();
            dims[1] = -1;
            grad = tf.reshape(grad, dims);
        }
        return [tf.Op("BroadcastTo", [grad, tf.shape(dy)])];
    }

    public static Tensor?[] L2Loss(Operation op, Tensor[] g) => [op.inputs[0] * g[0]];

    public static Tensor?[] CheckNumerics(Operation op, Tensor[] g) =>
        [tf.Op("CheckNumerics", [g[0]], new() { ["message"] = op.get_attr<string>("message") + " (gradient)" })];
}
