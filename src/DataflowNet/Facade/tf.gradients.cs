namespace DataflowNet;

public static partial class tf
{
    /// <summary>
    /// Symbolic partial derivatives of sum(ys) with respect to each x, as ordinary graph ops (reverse mode). Always
    /// returns one entry per x, null where ys do not depend on that x, as Python returns None.
    /// </summary>
    public static Tensor?[] gradients(Tensor ys, Tensor xs, Tensor? grad_ys = null, IEnumerable<Tensor>? stop_gradients = null, string name = "gradients") =>
        Gradients.Compute([ys], [xs], grad_ys is null ? null : [grad_ys], stop_gradients?.ToList(), name);

    public static Tensor?[] gradients(Tensor ys, IEnumerable<Tensor> xs, Tensor? grad_ys = null, IEnumerable<Tensor>? stop_gradients = null, string name = "gradients") =>
        Gradients.Compute([ys], xs.ToList(), grad_ys is null ? null : [grad_ys], stop_gradients?.ToList(), name);

    public static Tensor?[] gradients(IEnumerable<Tensor> ys, IEnumerable<Tensor> xs, IEnumerable<Tensor?>? grad_ys = null, IEnumerable<Tensor>? stop_gradients = null, string name = "gradients") =>
        Gradients.Compute(ys.ToList(), xs.ToList(), grad_ys?.ToList(), stop_gradients?.ToList(), name);

    /// <summary>Registers (or replaces) the gradient of an op type, as TensorFlow's @tf.RegisterGradient.</summary>
    public static void RegisterGradient(string op_type, GradientFunction gradient) => OpRegistry.RegisterGradient(op_type, gradient);

    /// <summary>One op that runs all of <paramref name="inputs"/> (Operations or Tensors).</summary>
    public static Operation group(IEnumerable<object> inputs, string? name = null)
    {
        var ops = inputs.Select(i => i switch
        {
            Operation o => o,
            Tensor t => t.op,
            _ => throw new InvalidArgumentException($"tf.group takes Operations and Tensors, not {i?.GetType().Name ?? "null"}."),
        }).ToList();
        var graph = ops.Count > 0 ? ops[0].graph : DataflowNet.Graph.Default;
        return graph.CreateOp("NoOp", [], name: name ?? "group_deps", controlInputs: ops);
    }

    public static Operation group(params object[] inputs) => group((IEnumerable<object>)inputs);

    public static Tensor broadcast_to(TensorLike input, TensorShape shape, string? name = null) =>
        Op("BroadcastTo", [input.ToTensor(), IntVector(shape.Dims, "shape")], name: name);

    public static Tensor floor(TensorLike x, string? name = null) => Unary("Floor", x, name);

    /// <summary>
    /// Values clipped to [min, max]: min(t, max) first, then max(·, min), as TensorFlow (so min &gt; max gives min).
    /// The bounds may broadcast to t's shape but not enlarge it.
    /// </summary>
    public static Tensor clip_by_value(TensorLike t, TensorLike clip_value_min, TensorLike clip_value_max, string? name = null)
    {
        var x = t.ToTensor();
        using var scope = x.graph.name_scope(name ?? "clip_by_value");
        var below = minimum(x, clip_value_max);
        Keeps(below, "clip_value_max");
        var clipped = maximum(below, clip_value_min, name: scope.Name);
        Keeps(clipped, "clip_value_min");
        return clipped;

        void Keeps(Tensor result, string bound)
        {
            if (!x.shape.IsCompatibleWith(result.shape))
                throw new InvalidArgumentException($"tf.clip_by_value: {bound} would broadcast {x.name} of shape {x.shape} to shape {result.shape}; the bounds must broadcast to the value's shape.") { Op = result.op };
        }
    }

    /// <summary>t · clip_norm / max(‖t‖₂, clip_norm): unchanged when its L2 norm is within clip_norm.</summary>
    public static Tensor clip_by_norm(TensorLike t, TensorLike clip_norm, int[]? axes = null, string? name = null)
    {
        var x = t.ToTensor();
        using var scope = x.graph.name_scope(name ?? "clip_by_norm");
        var sumOfSquares = reduce_sum(x * x, axes, keepdims: true);
        // TensorFlow's two-select form: sqrt never sees 0, so an all-zero t has gradient 1, not sqrt's 0/0 = NaN.
        var nonZero = greater(sumOfSquares, zeros_like(sumOfSquares));
        var norm = where(nonZero, sqrt(where(nonZero, sumOfSquares, ones_like(sumOfSquares))), sumOfSquares);
        var c = clip_norm.ToTensor(x.dtype, "clip_norm");
        return x * c / maximum(norm, c);
    }

    /// <summary>Scales every tensor by clip_norm / max(global_norm, clip_norm); returns the clipped list and the global norm.</summary>
    public static (Tensor?[] clipped, Tensor global_norm) clip_by_global_norm(IEnumerable<Tensor?> t_list, TensorLike clip_norm, string? name = null)
    {
        var list = t_list.ToList();
        var present = list.Where(t => t is not null).Cast<Tensor>().ToList();
        if (present.Count == 0) throw new InvalidArgumentException("clip_by_global_norm needs at least one tensor.");
        using var scope = present[0].graph.name_scope(name ?? "clip_by_global_norm");
        var norm = sqrt(add_n(present.Select(t => (TensorLike)reduce_sum(t * t))), name: "global_norm");
        var c = clip_norm.ToTensor(norm.dtype, "clip_norm");
        // As TensorFlow: a norm of inf or NaN makes every clipped tensor NaN (norm − norm), so a blown-up step shows
        // instead of silently scaling the finite gradients to zero.
        var scale = c * minimum(1.0 / norm, 1.0 / c) + (norm - norm);
        return (list.Select(t => t is null ? null : t * scale).ToArray(), norm);
    }

    /// <summary>Numerical checks (tf.debugging).</summary>
    public static class debugging
    {
        /// <summary>The tensor itself; running it fails with an error naming the op when it holds NaN or Inf.</summary>
        public static Tensor check_numerics(TensorLike tensor, string message, string? name = null) =>
            Op("CheckNumerics", [tensor.ToTensor()], new() { ["message"] = message }, name);
    }

    public static Tensor check_numerics(TensorLike tensor, string message, string? name = null) => debugging.check_numerics(tensor, message, name);

    /// <summary>One op that checks every floating-point tensor of the graph for NaN and Inf; the error names the op that produced it.</summary>
    public static Operation add_check_numerics_ops()
    {
        var graph = DataflowNet.Graph.Default;
        var checks = new List<Operation>();
        foreach (var op in graph.get_operations())
        {
            if (op.type == "CheckNumerics" || op.Def.WritesVariable || op.type == "VariableV2") continue;
            foreach (var output in op.outputs)
                if (output.dtype.IsFloating())
                    checks.Add(Op("CheckNumerics", [output], new() { ["message"] = $"{op.name}:{output.value_index} ({op.type}, created at {op.CreationSite})" }, "CheckNumerics").op);
        }
        return group(checks, name: "check_numerics");
    }

    /// <summary>Gradient checking (tf.test).</summary>
    public static class test
    {
        /// <summary>
        /// The largest difference between the Jacobian of y with respect to x built by tf.gradients and one estimated by
        /// central differences, evaluated at <paramref name="x_init_value"/> (random in [-1, 1) by default).
        /// </summary>
        public static double compute_gradient_error(Tensor x, TensorShape x_shape, Tensor y, TensorShape y_shape,
                                                    object? x_init_value = null, double delta = 1e-3, FeedDict? extra_feed_dict = null) =>
            GradientCheck.MaxError(x, x_shape, y, y_shape, x_init_value, delta, extra_feed_dict);
    }
}
