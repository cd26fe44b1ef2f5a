namespace DataflowNet;

/// <summary>
/// Gradients of the activation-gradient ops (TensorFlow's _TanhGradGrad, _ReluGradGrad…), so a gradient can itself
/// be differentiated: gradient penalties, Hessian-vector products, u_xx of a tanh network. The math ops' form is
/// (y, dy) with y the activation's output; the nn ops' form is (dy, features or outputs).
/// </summary>
internal static class ActivationGradGrad
{
    public static GradientFunction Of(string type) => type switch
    {
        // TanhGrad(y, dy) = dy·(1 − y²)
        "TanhGrad" => (op, g) => [g[0] * -2f * op.inputs[1] * op.inputs[0], tf.Op("TanhGrad", [op.inputs[0], g[0]])],
        // SigmoidGrad(y, dy) = dy·y·(1 − y)
        "SigmoidGrad" => (op, g) =>
        {
            var gb = g[0] * op.inputs[1];
            return [gb - 2f * gb * op.inputs[0], tf.Op("SigmoidGrad", [op.inputs[0], g[0]])];
        },
        // SqrtGrad(y, dy) = dy / (2y), its own output z: ∂z/∂y = −z/y, ∂z/∂dy = 1/(2y)
        "SqrtGrad" => (op, g) =>
        {
            var ga = g[0] / op.inputs[0];
            return [-ga * op.outputs[0], 0.5f * ga];
        },
        // RsqrtGrad(y, dy) = −dy·y³/2
        "RsqrtGrad" => (op, g) => [-1.5f * g[0] * op.inputs[1] * tf.square(op.inputs[0]), tf.Op("RsqrtGrad", [op.inputs[0], g[0]])],
        // ReciprocalGrad(y, dy) = −dy·y²
        "ReciprocalGrad" => (op, g) => [g[0] * -2f * op.inputs[1] * op.inputs[0], tf.Op("ReciprocalGrad", [op.inputs[0], g[0]])],
        // Piecewise linear in dy, piecewise constant in the features: the features get zeros.
        "ReluGrad" or "Relu6Grad" => (op, g) => [tf.Op(op.type, [g[0], op.inputs[1]]), tf.zeros_like(op.inputs[1])],
        "LeakyReluGrad" => (op, g) =>
            [tf.Op("LeakyReluGrad", [g[0], op.inputs[1]], new() { ["alpha"] = op.get_attr<float>("alpha") }), tf.zeros_like(op.inputs[1])],
        // EluGrad(dy, y) = dy·(y + 1) below zero, dy above
        "EluGrad" => (op, g) =>
        {
            var y = op.inputs[1];
            return [tf.Op("EluGrad", [g[0], y]), tf.where(y < 0f, g[0] * op.inputs[0], tf.zeros_like(y))];
        },
        // SoftplusGrad(dy, x) = dy·σ(x); σ'(x) = 1 / (e^−x + 2 + e^x)
        "SoftplusGrad" => (op, g) =>
        {
            var (dy, x) = (op.inputs[0], op.inputs[1]);
            return [tf.Op("SoftplusGrad", [g[0], x]), g[0] * dy / (tf.exp(-x) + 2f + tf.exp(x))];
        },
        _ => throw new ArgumentException($"No second-order gradient for {type}.", nameof(type)),
    };
}
