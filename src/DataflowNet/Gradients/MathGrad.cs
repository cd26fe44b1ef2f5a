namespace DataflowNet;

/// <summary>Gradients of the arithmetic, matmul and reduction ops. Binary ops sum their gradients back to each input's shape.</summary>
internal static class MathGrad
{
    private static Tensor X(Operation op) => op.inputs[0];
    private static Tensor Y(Operation op) => op.inputs[1];
    private static Tensor Z(Operation op) => op.outputs[0];
    private static Tensor?[] Both(Operation op, Tensor gx, Tensor gy) => [GradUtil.SumToShape(gx, X(op), Y(op)), GradUtil.SumToShape(gy, Y(op), X(op))];

    public static GradientFunction Of(string type) => type switch
    {
        "AddV2" => (op, g) => Both(op, g[0], g[0]),
        "Sub" => (op, g) => Both(op, g[0], tf.negative(g[0])),
        "Mul" => (op, g) => Both(op, g[0] * Y(op), X(op) * g[0]),
        "RealDiv" => (op, g) => Both(op, g[0] / Y(op), g[0] * (tf.negative(X(op)) / Y(op) / Y(op))),
        "Pow" => (op, g) =>
        {
            var (x, y, z) = (X(op), Y(op), Z(op));
            var gx = g[0] * y * tf.pow(x, y - 1);
            // d/dy x^y = x^y log x, taken as 0 where x <= 0 (as TensorFlow does).
            var logX = tf.where(x > 0, tf.log(tf.where(x > 0, x, tf.ones_like(x))), tf.zeros_like(x));
            return Both(op, gx, g[0] * z * logX);
        },
        "Maximum" => (op, g) => Select(op, g[0], tf.greater_equal(X(op), Y(op))),
        "Minimum" => (op, g) => Select(op, g[0], tf.less_equal(X(op), Y(op))),
        "SquaredDifference" => (op, g) =>
        {
            var gx = g[0] * 2 * (X(op) - Y(op));
            return Both(op, gx, tf.negative(gx));
        },
        "FloorMod" => (op, g) => Both(op, g[0], tf.negative(g[0]) * tf.floordiv(X(op), Y(op))),
        "FloorDiv" => Gradients.None,
        "Neg" => (_, g) => [tf.negative(g[0])],
        "Abs" => (op, g) => [g[0] * tf.sign(X(op))],
        "Sign" => (op, _) => [tf.zeros_like(X(op))],
        "Square" => (op, g) => [g[0] * (X(op) * 2)],
        "Sqrt" => (op, g) => [tf.Op("SqrtGrad", [Z(op), g[0]])],
        "Rsqrt" => (op, g) => [tf.Op("RsqrtGrad", [Z(op), g[0]])],
        "Reciprocal" => (op, g) => [tf.Op("ReciprocalGrad", [Z(op), g[0]])],
        "Exp" => (op, g) => [g[0] * Z(op)],
        "Log" => (op, g) => [g[0] * tf.reciprocal(X(op))],
        "Log1p" => (op, g) => [g[0] * tf.reciprocal(X(op) + 1)],
        "Sin" => (op, g) => [g[0] * tf.cos(X(op))],
        "Cos" => (op, g) => [tf.negative(g[0]) * tf.sin(X(op))],
        "Tanh" => (op, g) => [tf.Op("TanhGrad", [Z(op), g[0]])],
        "Sigmoid" => (op, g) => [tf.Op("SigmoidGrad", [Z(op), g[0]])],
        "AddN" => (op, g) => op.inputs.Select(_ => (Tensor?)g[0]).ToArray(),
        "MatMul" => MatMul,
        "BatchMatMulV2" => BatchMatMul,
        "Sum" => (op, g) => [GradUtil.ExpandReduced(op, g[0]), null],
        "Mean" => (op, g) => [GradUtil.ExpandReduced(op, g[0]) / GradUtil.ReducedCount(op), null],
        "Max" or "Min" => MinMax,
        "Prod" => Prod,
        "Cast" => (op, g) => [op.inputs[0].dtype.IsFloating() && op.outputs[0].dtype.IsFloating() ? tf.cast(g[0], op.inputs[0].dtype) : null],
        "SelectV2" => (op, g) =>
        {
            var c = op.inputs[0];
            var zeros = tf.zeros_like(g[0]);
            return [null, GradUtil.SumToShape(tf.where_v2(c, g[0], zeros), op.inputs[1]), GradUtil.SumToShape(tf.where_v2(c, zeros, g[0]), op.inputs[2])];
        },
        // t and e have the output's shape: the gradient is selected the same way, nothing to sum.
        "Select" => (op, g) =>
        {
            var c = op.inputs[0];
            var zeros = tf.zeros_like(op.inputs[1]);
            return [null, tf.Op("Select", [c, g[0], zeros]), tf.Op("Select", [c, zeros, g[0]])];
        },
        _ => Gradients.None,
    };

    /// <summary>The gradient goes to whichever input was selected (x on ties, as TensorFlow).</summary>
    private static Tensor?[] Select(Operation op, Tensor g, Tensor xWins)
    {
        var zeros = tf.zeros_like(g);
        return Both(op, tf.where(xWins, g, zeros), tf.where(xWins, zeros, g));
    }

    private static Tensor?[] MatMul(Operation op, Tensor[] g)
    {
        var (a, b, grad) = (X(op), Y(op), g[0]);
        bool ta = op.get_attr<bool>("transpose_a"), tb = op.get_attr<bool>("transpose_b");
        return (ta, tb) switch
        {
            (false, false) => [tf.matmul(grad, b, transpose_b: true), tf.matmul(a, grad, transpose_a: true)],
            (false, true) => [tf.matmul(grad, b), tf.matmul(grad, a, transpose_a: true)],
            (true, false) => [tf.matmul(b, grad, transpose_b: true), tf.matmul(a, grad)],
            _ => [tf.matmul(b, grad, transpose_a: true, transpose_b: true), tf.matmul(grad, a, transpose_a: true, transpose_b: true)],
        };
    }

    private static Tensor?[] BatchMatMul(Operation op, Tensor[] g)
    {
        var (a, b, grad) = (X(op), Y(op), g[0]);
        bool ax = op.get_attr<bool>("adj_x"), ay = op.get_attr<bool>("adj_y");
        Tensor BMM(Tensor p, Tensor q, bool tp, bool tq) => tf.Op("BatchMatMulV2", [p, q], new() { ["adj_x"] = tp, ["adj_y"] = tq });
        var (ga, gb) = (ax, ay) switch
        {
            (false, false) => (BMM(grad, b, false, true), BMM(a, grad, true, false)),
            (false, true) => (BMM(grad, b, false, false), BMM(grad, a, true, false)),
            (true, false) => (BMM(b, grad, false, true), BMM(a, grad, false, false)),
            _ => (BMM(b, grad, true, true), BMM(grad, a, true, true)),
        };
        return [GradUtil.SumToShape(ga, a), GradUtil.SumToShape(gb, b)];
    }

    /// <summary>The gradient is shared equally among the elements equal to the extreme value.</summary>
    private static Tensor?[] MinMax(Operation op, Tensor[] g)
    {
        var x = X(op);
        var y = GradUtil.ExpandReduced(op, Z(op));
        var indicators = tf.cast(tf.equal(y, x), x.dtype);
        var count = GradUtil.ExpandReduced(op, GradUtil.ReduceLike(op, "Sum", indicators));
        return [indicators / count * GradUtil.ExpandReduced(op, g[0]), null];
    }

    /// <summary>
    /// d prod / d x_i = product of the others: prod / x_i where no element is zero, the product of the non-zeros
    /// at the single zero, and 0 where two or more elements are zero.
    /// </summary>
    private static Tensor?[] Prod(Operation op, Tensor[] g)
    {
        var x = X(op);
        var isZero = tf.equal(x, tf.zeros_like(x));
        var nonZero = tf.where(isZero, tf.ones_like(x), x);
        var prodNonZero = GradUtil.ExpandReduced(op, GradUtil.ReduceLike(op, "Prod", nonZero));
        var zeros = GradUtil.ExpandReduced(op, GradUtil.ReduceLike(op, "Sum", tf.cast(isZero, x.dtype)));
        var others = tf.where(isZero,
            tf.where(tf.equal(zeros, tf.ones_like(zeros)), prodNonZero, tf.zeros_like(x)),
            tf.where(tf.equal(zeros, tf.zeros_like(zeros)), prodNonZero / nonZero, tf.zeros_like(x)));
        return [others * GradUtil.ExpandReduced(op, g[0]), null];
    }

    /// <summary>UnsortedSegmentSum's gradient gathers the output gradient back to each data row.</summary>
    public static Tensor?[] UnsortedSegmentSum(Operation op, Tensor[] g) => [tf.gather(g[0], op.inputs[1]), null, null];
}
